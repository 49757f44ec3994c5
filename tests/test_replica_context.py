"""The replica router's flag lives in a context variable (wellclosure/
replica.py). A streamed export reads the replica as it is sent; one that is
abandoned half-sent is closed whenever Python collects it, perhaps in the
middle of another request. Closing it must leave that request's flag as it
is: it once set it back, and the other request's next reads went to the
primary (the replica test of issue 19 failed now and then in the suite, as
the collector pleased)."""

import gc

from wellclosure import replica


def export():
    for n in range(3):
        yield f"{n}:{replica._replica_reads.get()}".encode()


def test_a_streamed_export_reads_the_replica_while_it_is_sent():
    chunks = replica._reading_from_replica(export())
    assert list(chunks) == [b"0:True", b"1:True", b"2:True"]
    assert replica._replica_reads.get() is False


def test_closing_an_abandoned_export_leaves_another_requests_reads_alone():
    abandoned = replica._reading_from_replica(export())
    assert next(abandoned) == b"0:True"
    assert replica._replica_reads.get() is False
    # Another request, whose reads may go to the replica, is under way when
    # the abandoned export is collected.
    token = replica._replica_reads.set(True)
    try:
        del abandoned
        gc.collect()
        assert replica._replica_reads.get() is True
    finally:
        replica._replica_reads.reset(token)
    assert replica._replica_reads.get() is False


def test_closing_an_export_closes_what_it_streams():
    closed = []

    def rows():
        try:
            yield b"a"
            yield b"b"
        finally:
            closed.append(True)

    chunks = replica._reading_from_replica(rows())
    assert next(chunks) == b"a"
    chunks.close()
    assert closed == [True]
