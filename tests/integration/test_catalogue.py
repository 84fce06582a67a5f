#!/usr/bin/env python3
"""The catalogue of untrusted input (issue 5, item 5): bad inputs at the hub
link and the control socket, one row each (CATALOGUE below), sent through
the real binaries.  For each row:

  (a) the sender is told why, where the protocol answers (ERR on the link,
      the error of a control reply);
  (b) the hub's log has a line naming the reason;
  (c) the matching counter of `linlictl status` at the hub went up by exactly
      one, and no other counter moved;
  (d) nothing was applied: the hub's digest of every log (head, records,
      their hash), its log heads and its statistics are unchanged;
and at the end (e) the hub still takes a valid change set, a real node's
write still replicates, and verify passes.

The misbehaving community is linli-inject with a trusted key and no daemon
(Tester).  It holds the last change set the hub acknowledged (HELD), so each
crafted change set is the next one of its log, valid but for its one
defect.  Change sets are built by hand with protobuf-c and signed with the
library's signing function, past the builder's own checks.  Control
requests linlictl would never send come from linli-ctlraw.

A CSV file of nonsense (NONSENSE_CSV) is refused by linlictl itself, which
checks the whole file before it sends anything: every bad row is reported
FILE:LINE, nothing is imported, and the daemon is never asked.  Bad
configuration values are test_config's (file:line and the reason, the
daemon does not start); they are not repeated here.
"""

import fnmatch
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import cluster  # noqa: E402

INJECT = os.path.join(cluster.BUILD, "tests", "linli-inject")
CTLRAW = os.path.join(cluster.BUILD, "tests", "linli-ctlraw")
TESTER = ("350582006011", "Tester")  # trusted, no daemon: linli-inject plays it
STRANGER = "350582006099"            # in no trust list

CS_MAX = 8 << 20                     # LINLI_CS_MAX_BYTES, signed bytes of a change set
ZMQ_MAX = CS_MAX + 4096              # ZMQ_MSG_MAX, the hub's ZMQ_MAXMSGSIZE

# One row per input: (input, how it is sent, what the sender is told, what
# the hub logs, which counter goes up by one).
#
# how: a linli-inject scenario and its arguments (HELD: Tester's held
# change set; LINKOU, ZKEY: Linkou's code, Zenglin's key file; STRANGER: a
# code in no trust list), or "ctl SCENARIO" for linli-ctlraw at the hub's
# control socket.  told: the start of a reply line (a glob), None for no
# reply.  logged: text of a line of the hub's log, "ERR" for "refused: "
# and the ERR's text, None for no line about it.  counter: None for none.
CATALOGUE = [
    # -- Truncated messages
    ("change set cut short by 16 bytes, with the signature of the whole",
     "bad cut HELD",
     "ERR change set from TESTER: signature does not verify", "ERR", "refused_bad_signature"),
    ("change set cut short and signed: a valid signature over truncated protobuf",
     "bad cut-resigned HELD",
     "ERR change set from TESTER: malformed: body does not parse", "ERR", "refused_malformed"),
    ("signature cut to 32 bytes",
     "bad cut-sig HELD",
     "ERR change set from TESTER: signature does not verify", "ERR", "refused_bad_signature"),
    ("change set of 5 bytes, shorter than its magic",
     "bad short HELD",
     "ERR change set from TESTER: malformed: 5 bytes (limit 8388608)", "ERR",
     "refused_malformed"),
    ("HELLO whose protobuf is cut short",
     "hello-cut",
     "ERR malformed HELLO from TESTER", "ERR", "refused_malformed"),
    # -- Oversized messages
    # Each type has its bound, held to before anything is decoded: only
    # change sets and snapshot chunks may be large.
    ("change set over LINLI_CS_MAX_BYTES (8 MiB + 1 KiB), under ZMQ_MAXMSGSIZE",
     f"bad big HELD {CS_MAX + 1024}",
     "ERR CS message of * bytes from TESTER: over the bound of its type (8388864 bytes)", "ERR",
     "refused_oversize"),
    ("HELLO of 1 MiB (the cursors of 4 x TRUST_MAX owners and a schema fit in 30 KiB)",
     "hello-big 1048576",
     "ERR HELLO message of * bytes from TESTER: over the bound of its type (65536 bytes)",
     "ERR", "refused_oversize"),
    # libzmq's decoder refuses a frame over ZMQ_MAXMSGSIZE as soon as it
    # reads its size: it closes the connection (a protocol error, seen only
    # as a disconnect by a socket monitor) and drops what it had of the
    # message, so the hub never sees any of it and has nothing to count or
    # log.  The sender sees its connection closed; the hub carries on.
    ("frame over ZMQ_MAXMSGSIZE (8 MiB + 5 KiB)",
     f"bad big HELD {ZMQ_MAX + 1024}",
     "DISCONNECTED", None, None),
    # -- Wrong framing, too many parts
    ("CS message with its signature part missing",
     "parts 3",
     "ERR malformed CS message from TESTER: 3 parts, 4 expected", "ERR", "refused_malformed"),
    ("CS message with a part too many",
     "parts 5",
     "ERR malformed CS message from TESTER: 5 parts, 4 expected", "ERR", "refused_malformed"),
    ("message of 8 parts (9 with the routing id: over ZMSG_PARTS_MAX)",
     "parts 8",
     "ERR message from TESTER with too many parts (1 to 7)", "ERR", "refused_malformed"),
    ("message of 100000 parts",
     "parts 100000",
     "ERR message from TESTER with too many parts (1 to 7)", "ERR", "refused_malformed"),
    ("message of an unknown type",
     "type",
     "ERR message of an unknown type from TESTER", "ERR", "refused_malformed"),
    ("CS message whose owner part is 40 bytes",
     "owner-part",
     "ERR malformed CS message from TESTER: owner part of 40 bytes is not an owner code", "ERR",
     "refused_malformed"),
    # -- Bad signatures
    ("signature with one bit flipped",
     "bad flip HELD",
     "ERR change set from TESTER: signature does not verify", "ERR", "refused_bad_signature"),
    ("signed by another community's key",
     "bad signer HELD ZKEY",
     "ERR change set from TESTER: signature does not verify", "ERR", "refused_bad_signature"),
    # -- A valid signature over malformed protobuf
    ("another magic, signed",
     "bad magic HELD",
     "ERR change set from TESTER: malformed: not a linli change set (bad magic)", "ERR",
     "refused_malformed"),
    ("signed bytes that are no protobuf",
     "bad junk HELD",
     "ERR change set from TESTER: malformed: body does not parse", "ERR", "refused_malformed"),
    ("signed fields that parse holding an op that does not decode",
     "bad nodecode HELD",
     "ERR change set from TESTER: malformed: signed body does not decode", "ERR",
     "refused_malformed"),
    ("signed change set of sequence number 0",
     "bad seq0 HELD",
     "ERR change set from TESTER: malformed: bad owner, stream, sequence or prev hash", "ERR",
     "refused_malformed"),
    # -- Owners
    ("unknown owner: a trusted key sends a change set of an owner in no trust list",
     "bad unknown-owner HELD STRANGER",
     "ERR change set of STRANGER, an owner not in the trust list, on the link of TESTER",
     "ERR", "refused_unknown_owner"),
    ("another owner's records: its body names Linkou, signed by the sender",
     "bad origin HELD LINKOU",
     "ERR change set 2 signed by TESTER claims origin LINKOU", "ERR", "refused_wrong_origin"),
    ("another owner's records: Linkou's own change set, as the hub relayed it, sent back",
     "steal LINKOU",
     "ERR change set claims origin LINKOU but came on the link of TESTER", "ERR",
     "refused_wrong_origin"),
    ("another owner's records: Linkou's own change set passed off as the sender's",
     "steal LINKOU relabel",
     "ERR change set from TESTER: signature does not verify", "ERR", "refused_bad_signature"),
    ("another owner's link: HELLO as Linkou",
     "hello-as LINKOU",
     "ERR HELLO as LINKOU on a link authenticated as TESTER", "ERR", "refused_wrong_origin"),
    ("a personal record (a household) in the public log",
     "bad personal HELD",
     "ERR change set from TESTER: op 1: a household does not belong in the public log", "ERR",
     "refused_malformed"),
    # -- Sequence and chain.  A duplicate and a gap are normal after a
    # reconnect: acknowledged, or answered with WANT, and logged at debug.
    ("replay: the applied change set again",
     "resend HELD",
     "ACK TESTER/1=1", "change set 1 of TESTER: duplicate, acknowledged, not applied again",
     "duplicates"),
    ("replay with other content: the applied sequence number again (a fork)",
     "bad fork HELD",
     "ERR change set 1 of TESTER differs from the one applied: log forked", "ERR",
     "refused_fork"),
    ("out of order: sequence number 3 where 2 is next",
     "bad gap HELD",
     "WANT TESTER/1=1", "change set 3 of TESTER: gap after 1, asking for it", "gaps"),
    ("wrong chain hash: prev is not the head's",
     "bad chain HELD",
     "ERR change set 2 of TESTER: previous hash does not match the log", "ERR",
     "refused_chain_broken"),
    # -- Record contents
    ("invalid UTF-8 in a record field",
     "bad utf8 HELD",
     "ERR change set from TESTER: op 1 (service cat-2): name: not valid UTF-8 text of at "
     "most 2048 bytes", "ERR", "refused_malformed"),
    ("overlong string: a name of 2049 bytes",
     "bad long-text HELD",
     "ERR change set from TESTER: op 1 (service cat-2): name: not valid UTF-8 text of at "
     "most 2048 bytes", "ERR", "refused_malformed"),
    ("overlong string: a record id of 65 bytes",
     "bad long-id HELD",
     "ERR change set from TESTER: op 1 (service i*): id: 'i*' is not 1-64 characters", "ERR",
     "refused_malformed"),
    ("too many strings: a partner of 65 items",
     "bad items HELD",
     "ERR change set from TESTER: op 1 (partner cat-2): items: more than 64 items", "ERR",
     "refused_malformed"),
    ("bad enum value: service category 99",
     "bad category HELD",
     "ERR change set from TESTER: op 1 (service cat-2): category: unknown value 99", "ERR",
     "refused_malformed"),
    ("bad enum value: stream 3",
     "bad stream HELD",
     "ERR change set from TESTER: malformed: bad owner, stream, sequence or prev hash", "ERR",
     "refused_malformed"),
    ("bad enum value: a record of kind 8 (Record field 9)",
     "bad kind HELD",
     "ERR change set from TESTER: op 1: no record", "ERR", "refused_malformed"),
    ("more ops per change set than the limit: 5001",
     "bad ops HELD",
     "ERR change set from TESTER: malformed: 1 to 5000 ops allowed", "ERR", "refused_malformed"),
    ("no ops at all",
     "bad no-ops HELD",
     "ERR change set from TESTER: malformed: 1 to 5000 ops allowed", "ERR", "refused_malformed"),
    # -- Keys (libzmq answers the handshake with ZAP's status 400)
    ("a key in no trust list: no link at all",
     "stranger",
     "AUTH-FAILED 400", "its key is not an owner's current key in the trust list",
     "refused_unknown_key"),
    # -- The control socket
    ("control request that does not decode",
     "ctl garbage",
     "REPLY ok=0 error=malformed request (19 bytes)",
     "control: request refused: malformed request (19 bytes)", "refused_control"),
    ("control message without a request's envelope (nobody to answer)",
     "ctl no-envelope",
     None, "control: request refused: not a request (1 part; an empty delimiter and one "
     "request expected)", "refused_control"),
    ("control request of three parts",
     "ctl parts",
     "REPLY ok=0 error=not a request (4 parts;",
     "control: request refused: not a request (4 parts;", "refused_control"),
    ("control request with an unknown command",
     "ctl verb",
     "REPLY ok=0 error=unknown command 'frobnicate'",
     "control: request refused: unknown command 'frobnicate'", "refused_control"),
    ("import of a service named in bytes that are not UTF-8 (past linlictl's checks)",
     "ctl import-utf8",
     "REPLY ok=0 error=import: record 1 (ctl-bad): name: not valid UTF-8",
     "control: request refused: import: record 1 (ctl-bad): name: not valid UTF-8",
     "refused_control"),
    ("add of a service of category 99 (past linlictl's checks)",
     "ctl add-enum",
     "REPLY ok=0 error=add: service ctl-bad: category: unknown value 99",
     "control: request refused: add: service ctl-bad: category: unknown value 99",
     "refused_control"),
]

# The counters `linlictl status` shows at the hub for refused input.
COUNTERS = ("refused_bad_signature", "refused_unknown_owner", "refused_wrong_origin",
            "refused_malformed", "refused_chain_broken", "refused_fork", "refused_fenced",
            "refused_unknown_key", "refused_revoked", "refused_old_key", "refused_control",
            "refused_oversize", "gaps", "duplicates")

# A CSV file of nonsense for `linlictl import` at a node: every bad row is
# reported as FILE:LINE with its reason (rows with the same problem in one
# message naming their lines), and nothing is sent at all.
NONSENSE_CSV = [
    ("id,name,category,walk_minutes", None),
    ("s1,长者食堂,elderly,5", None),                                   # a good row: not imported either
    ("s2,午餐,flying,5", "category: 'flying': not one of"),
    ("s3,午餐,elderly,abc", "walk_minutes"),
    ("s4,午餐", "2 fields where the header has 4"),
    ("s 5,午餐,elderly,5", "id: 's 5' is not"),
    (",午餐,elderly,5", "no id"),
    ("s1,again,elderly,5", "duplicate id 's1' (first on line 2)"),
    ("s6," + "长" * 700 + ",elderly,5", "name: not valid UTF-8 text of at most 2048 bytes"),
    ("s8,,elderly,5", "service needs name and category"),
    ("s9,a,elderly,5,extra", "5 fields where the header has 4"),
    ("s10,\x01\x02\x7f,elderly,5", "name: not valid UTF-8 text"),     # control characters
    ("\x00\x01\x02", "NUL byte in field"),                             # binary junk
    ("s11,\"unterminated,elderly,5", "quoted field never closed"),     # swallows the rest
]


def fill(text, held, c):
    return (text.replace("HELD", held).replace("TESTER", TESTER[0])
            .replace("LINKOU", c.node("Linkou").owner).replace("ZKEY", c.node("Zenglin").key)
            .replace("STRANGER", STRANGER))


def run(cmd, timeout=60):
    p = subprocess.run(cmd, capture_output=True, timeout=timeout * cluster.SLOW)
    out = p.stdout.decode(errors="replace")
    assert p.returncode == 0, f"{cmd} exited {p.returncode}:\n{out}{p.stderr.decode()}"
    return out


class Hub:
    """What the checks compare at the hub before and after each input."""

    def __init__(self, c, tester_key, stranger_key):
        self.c, self.hub = c, c.hub
        self.tester_key, self.stranger_key = tester_key, stranger_key
        self.log_at = 0

    def inject(self, args, key=None, owner=TESTER[0]):
        return run([INJECT, self.c.endpoint, self.hub.pub, key or self.tester_key, owner,
                    *args])

    def counters(self):
        st = self.hub.status()
        return {k: int(st[k]) for k in COUNTERS}

    def state(self):
        """The hub's records and logs as far as a reader can tell: every
        log's head, record count and records digest, and the statistics
        (without what the owners last reported and the refusal counts)."""
        volatile = ("last_heard", "head_public", "head_personal", "refused", "linked_now",
                    "problems")
        stats = {o: {k: v for k, v in row.items() if k not in volatile}
                 for o, row in self.hub.stats().items()}
        logs = sorted((r["owner"], r["stream"], r["seq"])
                      for r in self.hub.ctl("logs", json_out=True) or [])
        return self.hub.digests(), logs, stats

    def new_log(self):
        text = self.hub.log_text()
        new, self.log_at = text[self.log_at:], len(text)
        return new


def replies(out):
    """The lines after the input was sent, without the scenario's name."""
    lines = out.splitlines()
    sent = next((i for i, ln in enumerate(lines) if " SENT" in ln), -1)
    return [ln.split(" ", 1)[1] for ln in lines[sent + 1:] if " " in ln]


def check_row(h, c, held, row):
    name, how, answer, log, counter = row
    how = fill(how, held, c).split(" ")
    answer = fill(answer, held, c) if answer else None
    log = fill(log, held, c) if log else None
    before_counters, before_state = h.counters(), h.state()
    h.new_log()
    if how[0] == "ctl":
        out = run([CTLRAW, c.hub.sock, how[1]])
    elif how[0] == "stranger":
        out = h.inject(how, key=h.stranger_key, owner=STRANGER)
    else:
        out = h.inject(how)
    got = replies(out)
    # (a) what the sender was told
    if answer is None:
        assert not any(r.startswith(("ERR", "ACK", "WANT", "REPLY")) for r in got), \
            f"{name}: answered:\n{out}"
    else:
        assert any(fnmatch.fnmatchcase(r, answer + "*") for r in got), \
            f"{name}: expected {answer!r} in:\n{out}"
    # (c) exactly one counter moved, by one.  A refusal is counted before
    # it is answered; what is not answered may still be on its way.
    if answer is None or not answer.startswith(("ERR", "ACK", "WANT", "REPLY")):
        time.sleep(0.5 * cluster.SLOW)
    want = dict(before_counters)
    if counter:
        want[counter] += 1
    try:
        cluster.wait_until(f"{name}: counters", lambda: h.counters() == want, 5 * cluster.SLOW)
    except TimeoutError:
        raise AssertionError(f"{name}: counters\n{before_counters}\n{h.counters()}\n"
                             f"want {counter} +1\n{out}")
    # (b) the hub's log says why
    new = h.new_log()
    if log is None:
        assert "refused" not in new, f"{name}: logged:\n{new}"
    else:
        if log == "ERR":
            log = "refused: " + answer[len("ERR "):]
        # A cause the hub logged already within the minute (the same text
        # but for its numbers) is counted, not logged again.
        cause = re.sub(r"[0-9]+", "#", log)
        said = any(fnmatch.fnmatchcase(re.sub(r"[0-9]+", "#", ln), f"*{cause}*")
                   for ln in h.hub.log_text().splitlines())
        assert said, f"{name}: {log!r} not in the hub's log:\n{new}"
    # (d) nothing applied
    after_state = h.state()
    assert after_state == before_state, f"{name}: the hub's state changed:\n" \
        f"{before_state}\n{after_state}"
    shown = next((r for r in got if r.startswith(("ERR", "REPLY", "ACK", "WANT", "DISC", "AUTH"))),
                 "no answer")
    print(f"ok - {name}: {shown[:100]}; "
          f"{counter + ' +1' if counter else 'no counter'}; nothing applied")


def check_csv(c, h):
    """linlictl import of a file of nonsense at Zenglin: every bad row
    named FILE:LINE, nothing imported, nothing sent to the daemon."""
    z = c.node("Zenglin")
    path = os.path.join(c.dir, "services.csv")
    with open(path, "wb") as f:
        for text, _ in NONSENSE_CSV:
            f.write(text.encode("utf-8", "surrogateescape") + b"\n")
    before_z, before_hub, before_counters = z.digests(), h.state(), h.counters()
    before_zc = int(z.status()["refused_control"])
    p = z.ctl("import", path, check=False)
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    lines = p.stderr.splitlines()
    for line, why in [(i + 1, w) for i, (_, w) in enumerate(NONSENSE_CSV) if i >= 2]:
        hits = [ln for ln in lines if ln.startswith(f"{path}:{line}: ") or
                (ln.startswith(f"{path}:") and re.search(rf"rows: lines [0-9, ]*\b{line}\b", ln))]
        assert hits, f"line {line} not reported:\n{p.stderr}"
        # A row said with others quotes the first row's numbers.
        same = (lambda t: re.sub(r"[0-9]+", "#", t)) if not hits[0].startswith(
            f"{path}:{line}: ") else (lambda t: t)
        assert why is None or same(why) in same(hits[0]), \
            f"line {line}: {why!r} not in {hits[0]!r}"
    nbad = len(NONSENSE_CSV) - 2
    assert f"{path}: {nbad} bad rows; nothing imported" in p.stderr, p.stderr
    assert z.digests() == before_z and h.state() == before_hub
    assert h.counters() == before_counters
    assert int(z.status()["refused_control"]) == before_zc  # nothing was sent
    print(f"ok - nonsense CSV: {nbad} bad rows each reported FILE:LINE with the reason, "
          f"nothing imported, nothing sent")
    # Bytes that are not UTF-8 (nor GBK): one message for the file.
    with open(path, "wb") as f:
        f.write("id,name,category\ns1,长者食堂,elderly\ns7,caf\udcc3 \udcff,elderly\n"
                .encode("utf-8", "surrogateescape"))
    p = z.ctl("import", path, check=False)
    assert p.returncode == 1 and len(p.stderr.splitlines()) == 1 and \
        "this file is not UTF-8 (line 3) nor GBK" in p.stderr, p.stderr
    assert z.digests() == before_z and int(z.status()["refused_control"]) == before_zc
    print(f"ok - a file with bytes that are not UTF-8: {p.stderr.strip()!r}, nothing sent")


def main():
    communities = [x for x in cluster.COMMUNITIES if x[1] in ("Linkou", "Zenglin")]
    with cluster.Cluster(communities) as c:
        tester_key = os.path.join(c.dir, "tester.key")
        stranger_key = os.path.join(c.dir, "stranger.key")
        held = os.path.join(c.dir, "tester.held")
        pub = c.keygen(tester_key)
        c.keygen(stranger_key)
        with open(c.trust, "a") as f:
            f.write(f"{TESTER[0]} {pub} {TESTER[1]}\n")
        # Debug: a duplicate and a gap are normal after a reconnect, so the
        # hub logs them at debug only.
        c.hub.write_config("log_level = debug\n")
        c.start()
        z, lk = c.node("Zenglin"), c.node("Linkou")
        z.ctl("service", "add", "s1", "name=老年食堂", "category=elderly")
        lk.ctl("service", "add", "s1", "name=托育点", "category=childcare")
        lk.ctl("grid", "add", "g1", "name=一级网格", "level=1")
        lk.ctl("household", "add", "h1", "grid=g1", "size=3", "phone=13800000001")
        c.wait_converged()
        h = Hub(c, tester_key, stranger_key)
        out = h.inject(["next", held])
        assert f"ACK {TESTER[0]}/1=1" in out and os.path.exists(held), out
        print("ok - Tester's change set 1 applied: the one each input builds on")

        for row in CATALOGUE:
            check_row(h, c, held, row)
        check_csv(c, h)
        print("# bad configuration values: test_config (file:line and the reason)")

        # (e) the hub still takes a valid change set, and real nodes replicate.
        before = h.state()
        out = h.inject(["next", held])
        assert f"ACK {TESTER[0]}/1=2" in out, out
        digests, logs, stats = h.state()
        assert digests[f"{TESTER[0]}/public"][:2] == (2, 2), digests
        assert stats[TESTER[0]]["services"]["elderly"] == 2, stats[TESTER[0]]
        assert before[0][f"{TESTER[0]}/public"][:2] == (1, 1)
        ids = {r["id"] for r in c.hub.ctl("service", "list", "--owner", TESTER[0],
                                          json_out=True)}
        assert ids == {"cat-1", "cat-2"}, ids
        z.ctl("service", "add", "s2", "name=日间照料", "category=elderly")
        c.wait_converged()
        assert c.hub.stats()[z.owner]["services"]["elderly"] == 2
        c.hub.ctl("verify")
        print("ok - after all of it the hub takes Tester's change set 2, a node's write "
              "replicates, and verify passes")


if __name__ == "__main__":
    main()
