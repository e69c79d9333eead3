"""Raw WebSocket pieces for the tests that send what a well-behaved client never would: the handshake as
bytes, and frames with every field settable (including wrong ones)."""

from __future__ import annotations

import struct

HANDSHAKE = (b"GET /api/v1/monitoring/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")


def frame(opcode: int, payload: bytes, *, fin: bool = True, rsv: int = 0, masked: bool = True,
          declared_length: int | None = None) -> bytes:
    """One WebSocket frame as a client sends it, with every field settable (including wrong ones)."""
    first = (0x80 if fin else 0) | (rsv << 4) | opcode
    length = len(payload) if declared_length is None else declared_length
    mask_bit = 0x80 if masked else 0
    if length < 126:
        header = bytes([first, mask_bit | length])
    elif length < 65536:
        header = bytes([first, mask_bit | 126]) + struct.pack(">H", length)
    else:
        header = bytes([first, mask_bit | 127]) + struct.pack(">Q", length)
    if not masked:
        return header + payload
    key = bytes([0x5A, 0xA5, 0x3C, 0xC3])
    return header + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))
