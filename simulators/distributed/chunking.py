"""How ASTRA-sim splits one collective into chunks ("streams"): ``Sys::determine_chunk_size``.

``chunk = size // preferred-dataset-splits``; for every collective except AllGather, a chunk smaller
than the total NPU count (all network dimensions) is raised to that count and the size becomes
``splits * chunk``. There are ``ceil(size / chunk)`` chunks and every one carries exactly ``chunk`` bytes.
"""

from __future__ import annotations


def chunks(size_bytes: int, collective: str, splits: int, total_npus: int) -> tuple[int, int]:
    """``(chunk_bytes, number_of_chunks)`` of a collective of ``size_bytes`` (AllGather: the per-NPU input)."""
    size = int(size_bytes)
    if size <= 0:
        raise ValueError(f"collective size {size_bytes!r} must be a positive number of bytes")
    chunk = size // splits
    if collective != "AllGather" and total_npus > chunk:
        chunk = total_npus
        size = splits * chunk
    if chunk == 0:
        raise ValueError(f"AllGather of {size} bytes with preferred-dataset-splits {splits} gives chunks of 0 bytes "
                         "(ASTRA-sim divides by the chunk size)")
    return chunk, -(-size // chunk)
