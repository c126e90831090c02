"""The container model: what runs inside a simulated container.

- :mod:`.process` — programs as generators on the virtual clock, signals, exit codes, memory;
- :mod:`.fs` — a container's filesystem: image files plus mounted volumes;
- :mod:`.shell` — a POSIX-shell subset (``sh -c``) and the busybox commands;
- :mod:`.catalog` — what known images run (nginx, httpd, agnhost, busybox, pause...);
- :mod:`.net` — a pod's view of the network (HTTP/TCP to pod IPs and Services, DNS).
"""
