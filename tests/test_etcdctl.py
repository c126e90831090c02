"""etcdctl: the exact text etcdctl 3.5 prints, for the sequences in etcd's own docs.

Sequences follow etcd's "Interacting with etcd" guide (put/get/del/watch/compact/lease);
expected texts are etcdctl's printer formats (printer_simple.go, printer_json.go,
printer_fields.go) for a fresh single-member etcd.
"""

import base64
import json

import pytest

from k8score.etcd import Store
from k8score.etcd.etcdctl import etcdctl

CLUSTER, MEMBER = 14841639068965178418, 10276657743932975437


def run(s, *lines):
    return [etcdctl(s, line) for line in lines]


def b64(s):
    return base64.b64encode(s.encode()).decode()


def test_put_get_basics():
    s = Store()
    assert run(s, "put foo bar", "etcdctl get foo", "get foo --print-value-only",
               "get foo --hex", "get missing") == \
        ["OK", "foo\nbar", "bar", "\\x66\\x6f\\x6f\n\\x62\\x61\\x72", ""]


def test_get_ranges_prefix_limit_from_key():
    s = Store()
    run(s, "put foo bar", "put foo1 bar1", "put foo2 bar2", "put foo3 bar3", "put zoo z")
    assert etcdctl(s, "get foo foo3") == "foo\nbar\nfoo1\nbar1\nfoo2\nbar2"
    assert etcdctl(s, "get --prefix foo") == "foo\nbar\nfoo1\nbar1\nfoo2\nbar2\nfoo3\nbar3"
    assert etcdctl(s, "get --prefix --limit=2 foo") == "foo\nbar\nfoo1\nbar1"
    assert etcdctl(s, "get --from-key foo3") == "foo3\nbar3\nzoo\nz"
    assert etcdctl(s, "get --prefix --keys-only foo") == "foo\n\nfoo1\n\nfoo2\n\nfoo3\n"
    assert etcdctl(s, "get --prefix '' --keys-only --limit 1") == "foo\n"
    assert etcdctl(s, "get --prefix foo --order=DESCEND --limit=1") == "foo3\nbar3"


def test_read_past_versions_from_the_docs():
    s = Store()
    run(s, "put foo bar", "put foo1 bar1", "put foo bar_new", "put foo1 bar1_new")
    assert etcdctl(s, "get --prefix foo") == "foo\nbar_new\nfoo1\nbar1_new"
    assert etcdctl(s, "get --prefix --rev=4 foo") == "foo\nbar_new\nfoo1\nbar1"
    assert etcdctl(s, "get --prefix --rev=3 foo") == "foo\nbar\nfoo1\nbar1"
    assert etcdctl(s, "get --prefix --rev=2 foo") == "foo\nbar"
    assert etcdctl(s, "get --prefix --rev=1 foo") == ""
    assert etcdctl(s, "get foo --rev=9") == \
        "Error: etcdserver: mvcc: required revision is a future revision"


def test_delete_from_the_docs():
    s = Store()
    run(s, "put foo a", "put foo1 b", "put foo2 c", "put zoo val", "put zoo1 v", "put zoo2 v",
        "put b 1", "put c 2")
    assert etcdctl(s, "del foo") == "1"
    assert etcdctl(s, "del foo1 foo9") == "2"
    assert etcdctl(s, "del --prev-kv zoo") == "1\nzoo\nval"
    assert etcdctl(s, "del --prefix zoo") == "2"
    assert etcdctl(s, "del --from-key b") == "2"
    assert etcdctl(s, "del nothing") == "0"


def test_put_prev_kv_and_json():
    s = Store()
    assert run(s, "put foo bar", "put foo baz --prev-kv") == ["OK", "OK\nfoo\nbar"]
    out = json.loads(etcdctl(s, "put foo qux --prev-kv -w json"))
    assert out == {"header": {"cluster_id": CLUSTER, "member_id": MEMBER, "revision": 4,
                              "raft_term": 2},
                   "prev_kv": {"key": b64("foo"), "create_revision": 2, "mod_revision": 3,
                               "version": 2, "value": b64("baz")}}


def test_get_json_exact_text():
    s = Store()
    run(s, "put foo bar", "put foo2 x")
    assert etcdctl(s, "get foo -w json") == (
        '{"header":{"cluster_id":14841639068965178418,"member_id":10276657743932975437,'
        '"revision":3,"raft_term":2},"kvs":[{"key":"Zm9v","create_revision":2,'
        '"mod_revision":2,"version":1,"value":"YmFy"}],"count":1}')
    limited = json.loads(etcdctl(s, "get --prefix foo --limit=1 --write-out=json"))
    assert limited["more"] is True and limited["count"] == 2 and len(limited["kvs"]) == 1
    assert list(limited) == ["header", "kvs", "more", "count"]
    # nothing found: omitempty drops kvs and count
    assert etcdctl(s, "get nope -w json") == (
        '{"header":{"cluster_id":14841639068965178418,"member_id":10276657743932975437,'
        '"revision":3,"raft_term":2}}')
    # an empty value and lease 0 are omitted too
    run(s, "put empty ''")
    kv = json.loads(etcdctl(s, "get empty -w json"))["kvs"][0]
    assert kv == {"key": b64("empty"), "create_revision": 4, "mod_revision": 4, "version": 1}


def test_del_json():
    s = Store()
    run(s, "put a 1", "put ab 2")
    out = json.loads(etcdctl(s, "del a --prefix --prev-kv -w json"))
    assert out["deleted"] == 2 and [kv["key"] for kv in out["prev_kvs"]] == [b64("a"),
                                                                             b64("ab")]
    assert out["header"]["revision"] == 4


def test_count_only_needs_fields_output():
    s = Store()
    run(s, "put a 1", "put ab 2")
    assert etcdctl(s, "get a --prefix --count-only") == \
        "Error: --count-only is only for `--write-out=fields`"
    assert etcdctl(s, "get a --prefix --count-only -w fields").split("\n") == [
        f'"ClusterID" : {CLUSTER}', f'"MemberID" : {MEMBER}', '"Revision" : 3',
        '"RaftTerm" : 2', '"More" : false', '"Count" : 2']
    assert etcdctl(s, "get a --print-value-only -w json") == \
        "Error: print-value-only is only for `--write-out=simple`"


def test_fields_output_quotes_like_go():
    s = Store()
    etcdctl(s, 'put k "tab\there"')
    lines = etcdctl(s, "get k -w fields").split("\n")
    assert '"Value" : "tab\\there"' in lines and '"Key" : "k"' in lines


def test_watch_replays_history_from_the_docs():
    s = Store()
    run(s, "put foo bar", "put foo1 bar1", "put foo bar_new", "put foo1 bar1_new")
    assert etcdctl(s, "watch --rev=2 foo") == "PUT\nfoo\nbar\nPUT\nfoo\nbar_new"
    assert etcdctl(s, "watch --rev=4 --prev-kv foo") == "PUT\nfoo\nbar\nfoo\nbar_new"
    assert etcdctl(s, "watch --prefix --rev=4 foo") == \
        "PUT\nfoo\nbar_new\nPUT\nfoo1\nbar1_new"
    run(s, "del foo")
    assert etcdctl(s, "watch foo --rev=6") == "DELETE\nfoo\n"


def test_compaction_from_the_docs():
    s = Store()
    run(s, "put foo bar", "put foo1 bar1", "put foo bar_new", "put foo1 bar1_new")
    assert etcdctl(s, "compaction 5") == "compacted revision 5"
    assert etcdctl(s, "get --rev=4 foo") == \
        "Error: etcdserver: mvcc: required revision has been compacted"
    assert etcdctl(s, "compaction 5") == \
        "Error: etcdserver: mvcc: required revision has been compacted"
    assert etcdctl(s, "compaction 99") == \
        "Error: etcdserver: mvcc: required revision is a future revision"
    assert etcdctl(s, "watch --rev=2 foo") == (
        "watch was canceled (etcdserver: mvcc: required revision has been compacted)\n"
        "Error: watch is canceled by the server")
    assert etcdctl(s, "get --rev=5 foo") == "foo\nbar_new"


def test_lease_lifecycle_from_the_docs():
    s = Store()
    out = etcdctl(s, "lease grant 60")
    assert out.startswith("lease ") and out.endswith(" granted with TTL(60s)")
    lid = out.split()[1]
    assert len(lid) == 16 and int(lid, 16) == s.lease_leases().leases[0]
    assert etcdctl(s, f"put --lease={lid} foo bar") == "OK"
    assert etcdctl(s, f"put zoo1 v --lease={lid}") == "OK"
    assert etcdctl(s, f"lease timetolive {lid}") == \
        f"lease {lid} granted with TTL(60s), remaining(59s)"
    s.advance(20)
    assert etcdctl(s, f"lease timetolive --keys {lid}") == \
        f"lease {lid} granted with TTL(60s), remaining(39s), attached keys([foo zoo1])"
    assert etcdctl(s, f"lease keep-alive --once {lid}") == f"lease {lid} keepalived with TTL(60)"
    assert etcdctl(s, "lease list") == f"found 1 leases\n{lid}"
    assert etcdctl(s, f"lease revoke {lid}") == f"lease {lid} revoked"
    assert etcdctl(s, "get foo") == ""
    assert etcdctl(s, f"lease timetolive {lid}") == f"lease {lid} already expired"
    assert etcdctl(s, f"lease revoke {lid}") == \
        "Error: failed to revoke lease (etcdserver: requested lease not found)"
    assert etcdctl(s, f"lease keep-alive --once {lid}") == \
        "Error: etcdserver: requested lease not found"
    assert etcdctl(s, f"put k v --lease={lid}") == "Error: etcdserver: requested lease not found"
    assert etcdctl(s, "lease list") == "found 0 leases"


def test_lease_json():
    s = Store()
    grant = json.loads(etcdctl(s, "lease grant 10 -w json"))
    assert list(grant) == ["cluster_id", "member_id", "revision", "raft_term", "ID", "TTL",
                           "Error"]
    assert grant["TTL"] == 10 and grant["Error"] == ""
    lid = grant["ID"]
    ttl = json.loads(etcdctl(s, f"lease timetolive {lid:x} -w json"))
    assert (ttl["id"], ttl["ttl"], ttl["granted-ttl"], ttl["keys"]) == (lid, 9, 10, None)
    assert json.loads(etcdctl(s, "lease list -w json"))["leases"] == [{"id": lid}]


def test_txn_from_the_docs():
    s = Store()
    run(s, "put key1 1")
    stdin = ('mod("key1") > "0"\n\n'
             'put key1 "overwrote-key1"\n\n'
             'put key1 "created-key1"\nput key2 "some extra key"\n\n')
    assert etcdctl(s, "txn", stdin=stdin) == "SUCCESS\n\nOK"
    assert etcdctl(s, "get key1 --print-value-only") == "overwrote-key1"
    assert etcdctl(s, "txn -i", stdin='value("key1") = "nope"\n\nput a 1\n\nget key1\n'
                                      'del key2\n\n') == (
        "compares:\nsuccess requests (get, put, del):\nfailure requests (get, put, del):\n"
        "FAILURE\n\nkey1\noverwrote-key1\n\n0")
    assert s.revision == 3
    out = json.loads(etcdctl(s, "txn -w json", stdin='\nput a 1\n\n\n'))
    assert out["succeeded"] is True
    assert out["responses"] == [{"Response": {"response_put": {"header": {"revision": 4}}}}]


@pytest.mark.parametrize("stdin,error", [
    ("bad\n\n\n\n", "malformed comparison: bad"),
    ('ver("a") = 0\n\n\n\n', 'malformed comparison: ver("a") = 0; got ver("a") = ""'),
    ('ver(a) = "0"\n\n\n\n', 'malformed comparison: ver(a) = "0"; got ver("")  ""'),
    ('foo("a") = "1"\n\n\n\n', 'malformed comparison: foo("a") = "1" (unknown target foo)'),
    ('ver("a") = "x"\n\n\n\n', 'invalid txn compare request: ver("a") = "x"'),
    ('ver("a") = "0"\n\nput a 1\n', "EOF"),
    ('\n\nfoo a b\n\n\n', "invalid txn request: foo a b"),
])
def test_txn_input_errors(stdin, error):
    s = Store()
    assert etcdctl(s, "txn", stdin=stdin) == f"Error: {error}"
    assert s.revision == 1


@pytest.mark.parametrize("line,error", [
    ("get", "get command needs one argument as key and an optional argument as range_end"),
    ("get a b --prefix",
     "too many arguments, only accept one argument when `--prefix` or `--from-key` is set"),
    ("get a --prefix --from-key",
     "`--prefix` and `--from-key` cannot be set at the same time, choose one"),
    ("get a --keys-only --count-only",
     "`--keys-only` and `--count-only` cannot be set at the same time, choose one"),
    ("get a -w yaml", "unsupported output format"),
    ("get a --order=SIDEWAYS", "bad sort order SIDEWAYS"),
    ("put", "put command needs 1 argument and input from stdin or 2 arguments"),
    ("put k", "put command needs 1 argument and input from stdin or 2 arguments"),
    ("put k v --lease=zz",
     'bad lease ID (strconv.ParseInt: parsing "zz": invalid syntax), expecting ID in Hex'),
    ("put '' v", "etcdserver: key is not provided"),
    ("del", "del command needs one argument as key and an optional argument as range_end"),
    ("compaction", "compaction command needs 1 argument"),
    ("compaction x", 'strconv.ParseInt: parsing "x": invalid syntax'),
    ("lease grant", "lease grant command needs TTL argument"),
    ("lease grant x", 'bad TTL (strconv.ParseInt: parsing "x": invalid syntax)'),
    ("lease revoke zz",
     'bad lease ID arg (strconv.ParseInt: parsing "zz": invalid syntax), expecting ID in Hex'),
    ("lease grant 9000000001", "failed to grant lease (etcdserver: too large lease TTL)"),
    ("compact 5", "etcdserver: mvcc: required revision is a future revision"),
    ("get a -w table", "table not supported as output format"),
    ("get 'unterminated", "No closing quotation"),
])
def test_bad_command_lines_print_an_error_and_change_nothing(line, error):
    s = Store()
    assert etcdctl(s, line) == f"Error: {error}"
    assert s.revision == 1


def test_flags_anywhere_and_equals_forms():
    s = Store()
    run(s, "put foo bar")
    assert etcdctl(s, "-w json get foo") == etcdctl(s, "get foo --write-out=json") == \
        etcdctl(s, "get -w=json foo") == etcdctl(s, "get foo -wjson")
    assert etcdctl(s, "get foo --prefix=false --print-value-only=true") == "bar"
    assert etcdctl(s, "--endpoints=127.0.0.1:2379 get foo") == "foo\nbar"
    assert etcdctl(s, "put -- -dash value") == "OK"
    assert etcdctl(s, "get -- -dash") == "-dash\nvalue"


def test_put_reads_value_from_stdin():
    s = Store()
    assert etcdctl(s, "put k", stdin="line\n") == "OK"
    assert s.range("k").kvs[0].value == "line\n"


def test_version():
    assert etcdctl(Store(), "version").split("\n")[1] == "API version: 3.5"


def test_sort_by_value_with_keys_only_sorts_before_stripping_values():
    s = Store()
    run(s, "put a 3", "put b 1", "put c 2")
    assert etcdctl(s, "get --prefix '' --sort-by=VALUE --keys-only") == "b\n\nc\n\na\n"
    assert etcdctl(s, "get --prefix '' --sort-by=MODIFY --order=DESCEND --limit=1") == "c\n2"


@pytest.mark.parametrize("line,error", [
    ("get a --rev=abc",
     'invalid argument "abc" for "--rev" flag: strconv.ParseInt: parsing "abc": invalid syntax'),
    ("get a --rev", "flag needs an argument: --rev"),
    ("get a --bogus", "unknown flag: --bogus"),
    ("get a -x", "unknown shorthand flag: 'x' in -x"),
])
def test_flag_errors_print_error_usage_and_error_again(line, error):
    out = etcdctl(Store(), line).split("\n")
    assert out[:6] == [f"Error: {error}", "NAME:", "\tget - Gets the key or a range of keys", "",
                       "USAGE:", "\tetcdctl get [options] <key> [range_end] [flags]"]
    assert "      --limit=0\t\t\t\tMaximum number of results" in out
    assert "  -w, --write-out=\"simple\"\t\t\tset the output format (fields, json, protobuf, " \
           "simple, table)" in out
    assert out[-3:] == ["", "", f"Error: {error}"]


def test_unknown_commands_and_prefix_matching():
    s = Store()
    assert etcdctl(s, "nosuch") == (
        'Error: unknown command "nosuch" for "etcdctl"\n'
        "Run 'etcdctl --help' for usage.\n"
        'Error: unknown command "nosuch" for "etcdctl"')
    assert etcdctl(s, "gte foo") == (
        'Error: unknown command "gte" for "etcdctl"\n\nDid you mean this?\n\tget\n\n'
        "Run 'etcdctl --help' for usage.\n"
        'Error: unknown command "gte" for "etcdctl"\n\nDid you mean this?\n\tget\n')
    # cobra prefix matching, as etcdctl enables it: compact -> compaction, le -> lease
    run(s, "put a 1")
    assert etcdctl(s, "compact 2") == "compacted revision 2"
    assert etcdctl(s, "le gr 30").endswith("granted with TTL(30s)")
    # a command group alone prints its help
    help_text = etcdctl(s, "lease")
    assert help_text.startswith("NAME:\n\tlease - Lease related commands\n")
    assert ("COMMANDS:\n\tgrant\t\tCreates leases\n"
            "\tkeep-alive\tKeeps leases alive (renew)") in help_text
    assert etcdctl(s, "lease nosuch") == help_text


def test_txn_line_with_a_bad_flag_prints_the_inner_usage():
    s = Store()
    assert etcdctl(s, "txn", stdin="\n\nput a b --nope\n\n\n") == (
        "Usage:\n   put [options] <key> <value> (<value> can also be given from stdin) [flags]\n"
        "\nFlags:\n"
        "  -h, --help           help for put\n"
        "      --ignore-lease   updates the key using its current lease\n"
        "      --ignore-value   updates the key using its current value\n"
        '      --lease string   lease ID (in hexadecimal) to attach to the key (default "0")\n'
        "      --prev-kv        return the previous key-value pair before modification\n"
        "\nError: invalid txn request: put a b --nope")


def test_watch_below_compaction_still_displays_the_canceled_response():
    s = Store()
    run(s, "put a 1", "put a 2", "compaction 3")
    assert etcdctl(s, "watch a --rev=2 -w json") == (
        "watch was canceled (etcdserver: mvcc: required revision has been compacted)\n"
        '{"Header":{"cluster_id":14841639068965178418,"member_id":10276657743932975437,'
        '"raft_term":2},"Events":[],"CompactRevision":3,"Canceled":true,"Created":false}\n'
        "Error: watch is canceled by the server")
    # a catch-up is one response stamped with the current revision
    out = json.loads(etcdctl(s, "watch a --rev=3 -w json"))
    assert out["Header"]["revision"] == 3 and len(out["Events"]) == 1


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_WORDS = ["etcdctl", "put", "get", "del", "txn", "watch", "compaction", "compact", "lease",
          "grant", "revoke", "timetolive", "list", "keep-alive", "version", "foo", "a", "''",
          "0", "1", "5", "-1", "zz", "--prefix", "--from-key", "--prev-kv", "--rev", "--rev=2",
          "--limit=1", "--keys-only", "--count-only", "--print-value-only", "-w", "json",
          "fields", "table", "--write-out=json", "--hex", "--once", "--keys", "--lease=1",
          "--", "-", "-i", "--sort-by=VALUE", "--order=DESCEND", "--consistency=s", "-h"]


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(st.lists(st.sampled_from(_WORDS), max_size=6), min_size=1, max_size=6),
       stdin=st.sampled_from(["", "\n\n\n", 'ver("a") = "0"\n\nput a 1\n\n\n', "x\n"]))
def test_no_command_line_raises(lines, stdin):
    s = Store()
    for words in lines:
        out = etcdctl(s, " ".join(words), stdin=stdin)
        assert isinstance(out, str)
