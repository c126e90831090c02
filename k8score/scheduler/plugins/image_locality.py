"""ImageLocality: prefer nodes that already have the pod's images.

``pkg/scheduler/framework/plugins/imagelocality/image_locality.go``. For each container
(init containers too) whose image the node reports in ``status.images``, add
``size * nodesWithImage / allNodes`` (the spread scaling keeps every pod off the one node
that has a rare image); clamp the sum to [23 MB, 1000 MB x containers]; the score is
``100 * (sum - 23MB) // (max - 23MB)``. Worked example: one container, a 500 MiB image on
1 of 2 nodes: sum = 250 MiB, score = 100 * (250 - 23) // (1000 - 23) = 23; the other node 0.
"""

from __future__ import annotations

from operator import attrgetter

from ..interface import MAX_NODE_SCORE, PreScorePlugin, ScorePlugin
from ..nodeinfo import normalized_image_name
from ..status import Status
from .helper import snapshot_for

MB = 1024 * 1024
# image_locality.go: minThreshold, maxContainerThreshold
MIN_THRESHOLD = 23 * MB
MAX_CONTAINER_THRESHOLD = 1000 * MB
_PRE_SCORE_KEY = "PreScoreImageLocality"


def calculate_priority(sum_scores: int, num_containers: int) -> int:
    max_threshold = MAX_CONTAINER_THRESHOLD * num_containers
    sum_scores = min(max(sum_scores, MIN_THRESHOLD), max_threshold)
    return MAX_NODE_SCORE * (sum_scores - MIN_THRESHOLD) // (max_threshold - MIN_THRESHOLD)


class ImageLocality(PreScorePlugin, ScorePlugin):
    name = "ImageLocality"

    def pre_score(self, state, pod, nodes):
        spec = pod.get("spec") or {}
        containers = list(spec.get("initContainers") or ()) + list(spec.get("containers") or ())
        images = [normalized_image_name(c.get("image") or "") for c in containers]
        snap = snapshot_for(self, nodes)
        spread = snap.image_num_nodes
        if not any(i in spread for i in images):
            # no node has any of the images: every node would score calculatePriority(0) = 0
            return Status.skip()
        state.write(_PRE_SCORE_KEY, (images, len(containers), spread, snap.num_nodes()))
        return None

    def score(self, state, pod, node_info):
        images, n_containers, spread, total = state.get(_PRE_SCORE_KEY)
        have = node_info.images
        s = 0
        for name in images:
            size = have.get(name)
            if size is not None:
                s += int(size * (spread.get(name, 0) / total))     # scaledImageScore
        return calculate_priority(s, n_containers)

    def score_nodes(self, state, pod, nodes):
        """:meth:`score` of every node, worked out once per distinct set of image sizes found
        (most nodes have the pod's images at the same sizes, or none of them); the nodes'
        image maps come from a snapshot column at ``state.node_range``."""
        data = state.get(_PRE_SCORE_KEY)
        if data is None:
            return super().score_nodes(state, pod, nodes)
        images, n_containers, spread, total = data
        have = state.node_values("images", _images, nodes)
        memo: dict = {}
        out = []
        for node_images in have:
            sizes = tuple(map(node_images.get, images))       # each image's size, None if absent
            score = memo.get(sizes)
            if score is None:
                s = 0
                for name, size in zip(images, sizes):
                    if size is not None:
                        s += int(size * (spread.get(name, 0) / total))     # scaledImageScore
                score = memo[sizes] = calculate_priority(s, n_containers)
            out.append(score)
        return out


_images = attrgetter("images")
