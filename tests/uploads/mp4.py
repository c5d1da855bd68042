"""A tiny MP4 that browsers really play, written without ffmpeg.

H.264 without compression: every macroblock of every frame is ``I_PCM`` (raw 8-bit samples,
H.264 §7.3.5), so the encoder is a bit writer and a few headers: a Baseline SPS and PPS, and
one IDR slice per frame. The frames go into an ISO base media file (``ftyp``, then ``moov``
before ``mdat`` as a progressive download has it), with an ``avc1`` sample entry whose
``avcC`` carries the SPS and PPS. A 32×32 picture, 20 frames at 10 per second: 2 seconds, ~31 KB.
"""

from __future__ import annotations

import struct

WIDTH_MBS, HEIGHT_MBS = 2, 2  # 32×32 pixels
FRAMES = 20
TIMESCALE = 1000  # media time units per second
FRAME_TICKS = 100  # 10 frames per second
LEVEL = 30  # 3.0: far more than a 32×32 picture needs


class _Bits:
    def __init__(self) -> None:
        self.bits: list[int] = []

    def u(self, count: int, value: int) -> None:
        self.bits.extend((value >> (count - 1 - i)) & 1 for i in range(count))

    def ue(self, value: int) -> None:
        code = bin(value + 1)[2:]
        self.bits.extend([0] * (len(code) - 1) + [int(c) for c in code])

    def se(self, value: int) -> None:
        self.ue(2 * value - 1 if value > 0 else -2 * value)

    def align_zero(self) -> None:
        while len(self.bits) % 8:
            self.bits.append(0)

    def trailing(self) -> bytes:
        """rbsp_trailing_bits: a one, then zeros to the byte boundary."""
        self.bits.append(1)
        self.align_zero()
        return bytes(int("".join(map(str, self.bits[i : i + 8])), 2) for i in range(0, len(self.bits), 8))


def _nal(header: int, rbsp: bytes) -> bytes:
    """A NAL unit with emulation prevention (no 00 00 0x, x ≤ 3, inside it)."""
    out = bytearray([header])
    zeros = 0
    for byte in rbsp:
        if zeros >= 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


def _sps() -> bytes:
    b = _Bits()
    b.u(8, 66)  # profile_idc: Baseline
    b.u(8, 0)  # constraint flags, reserved bits
    b.u(8, LEVEL)
    b.ue(0)  # seq_parameter_set_id
    b.ue(0)  # log2_max_frame_num_minus4
    b.ue(2)  # pic_order_cnt_type: from frame_num, nothing in the slice header
    b.ue(1)  # max_num_ref_frames
    b.u(1, 0)  # gaps_in_frame_num_value_allowed_flag
    b.ue(WIDTH_MBS - 1)
    b.ue(HEIGHT_MBS - 1)
    b.u(1, 1)  # frame_mbs_only_flag
    b.u(1, 1)  # direct_8x8_inference_flag
    b.u(1, 0)  # frame_cropping_flag
    b.u(1, 0)  # vui_parameters_present_flag
    return _nal(0x67, b.trailing())


def _pps() -> bytes:
    b = _Bits()
    b.ue(0)  # pic_parameter_set_id
    b.ue(0)  # seq_parameter_set_id
    b.u(1, 0)  # entropy_coding_mode_flag: CAVLC
    b.u(1, 0)  # bottom_field_pic_order_in_frame_present_flag
    b.ue(0)  # num_slice_groups_minus1
    b.ue(0)  # num_ref_idx_l0_default_active_minus1
    b.ue(0)  # num_ref_idx_l1_default_active_minus1
    b.u(1, 0)  # weighted_pred_flag
    b.u(2, 0)  # weighted_bipred_idc
    b.se(0)  # pic_init_qp_minus26
    b.se(0)  # pic_init_qs_minus26
    b.se(0)  # chroma_qp_index_offset
    b.u(1, 0)  # deblocking_filter_control_present_flag
    b.u(1, 0)  # constrained_intra_pred_flag
    b.u(1, 0)  # redundant_pic_cnt_present_flag
    return _nal(0x68, b.trailing())


def _frame(number: int) -> bytes:
    """One IDR picture of I_PCM macroblocks: a grey ramp that brightens frame by frame."""
    b = _Bits()
    b.ue(0)  # first_mb_in_slice
    b.ue(7)  # slice_type: I (every slice of the picture)
    b.ue(0)  # pic_parameter_set_id
    b.u(4, 0)  # frame_num (an IDR picture)
    b.ue(number % 2)  # idr_pic_id: consecutive IDR pictures differ
    b.u(1, 0)  # no_output_of_prior_pics_flag
    b.u(1, 0)  # long_term_reference_flag
    b.se(0)  # slice_qp_delta
    for mb in range(WIDTH_MBS * HEIGHT_MBS):
        b.ue(25)  # mb_type: I_PCM
        b.align_zero()  # pcm_alignment_zero_bit
        for y in range(16):
            for x in range(16):  # luma, never 0 (no start code can appear)
                b.u(8, 32 + (number * 8 + mb * 16 + x + y) % 190)
        for _ in range(2 * 8 * 8):  # Cb then Cr: neutral
            b.u(8, 128)
    return _nal(0x65, b.trailing())


def _box(kind: bytes, *parts: bytes) -> bytes:
    body = b"".join(parts)
    return struct.pack(">I", 8 + len(body)) + kind + body


def _full_box(kind: bytes, version: int, flags: int, *parts: bytes) -> bytes:
    return _box(kind, struct.pack(">I", (version << 24) | flags), *parts)


_MATRIX = struct.pack(">9I", 0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000)


def _moov(samples: list[bytes], sps: bytes, pps: bytes, mdat_offset: int) -> bytes:
    width, height = WIDTH_MBS * 16, HEIGHT_MBS * 16
    duration = FRAMES * FRAME_TICKS
    mvhd = _full_box(
        b"mvhd",
        0,
        0,
        struct.pack(">IIII", 0, 0, TIMESCALE, duration),
        struct.pack(">IH", 0x00010000, 0x0100),
        bytes(10),
        _MATRIX,
        bytes(24),
        struct.pack(">I", 2),  # next_track_ID
    )
    tkhd = _full_box(
        b"tkhd",
        0,
        3,  # enabled, in the movie
        struct.pack(">IIIII", 0, 0, 1, 0, duration),
        bytes(8),
        struct.pack(">hhhH", 0, 0, 0, 0),
        _MATRIX,
        struct.pack(">II", width << 16, height << 16),
    )
    mdhd = _full_box(b"mdhd", 0, 0, struct.pack(">IIIIHH", 0, 0, TIMESCALE, duration, 0x55C4, 0))  # "und"
    hdlr = _full_box(b"hdlr", 0, 0, struct.pack(">I", 0), b"vide", bytes(12), b"VideoHandler\x00")
    vmhd = _full_box(b"vmhd", 0, 1, bytes(8))
    dinf = _box(b"dinf", _full_box(b"dref", 0, 0, struct.pack(">I", 1), _full_box(b"url ", 0, 1)))
    avcc = _box(
        b"avcC",
        bytes([1, sps[1], sps[2], sps[3], 0xFF, 0xE1]),
        struct.pack(">H", len(sps)),
        sps,
        bytes([1]),
        struct.pack(">H", len(pps)),
        pps,
    )
    avc1 = _box(
        b"avc1",
        bytes(6),
        struct.pack(">H", 1),  # data_reference_index
        bytes(16),
        struct.pack(">HH", width, height),
        struct.pack(">II", 0x00480000, 0x00480000),  # 72 dpi
        bytes(4),
        struct.pack(">H", 1),  # frame_count
        bytes(32),  # compressorname
        struct.pack(">Hh", 0x0018, -1),
        avcc,
    )
    stbl = _box(
        b"stbl",
        _full_box(b"stsd", 0, 0, struct.pack(">I", 1), avc1),
        _full_box(b"stts", 0, 0, struct.pack(">III", 1, FRAMES, FRAME_TICKS)),
        _full_box(b"stsc", 0, 0, struct.pack(">IIII", 1, 1, FRAMES, 1)),
        _full_box(b"stsz", 0, 0, struct.pack(">II", 0, FRAMES), *(struct.pack(">I", len(s)) for s in samples)),
        _full_box(b"stco", 0, 0, struct.pack(">II", 1, mdat_offset)),
    )
    minf = _box(b"minf", vmhd, dinf, stbl)
    trak = _box(b"trak", tkhd, _box(b"mdia", mdhd, hdlr, minf))
    return _box(b"moov", mvhd, trak)


def playable_mp4() -> bytes:
    """A 2-second 32×32 H.264 video in an MP4 file that browsers load, play and seek."""
    sps, pps = _sps(), _pps()
    samples = [struct.pack(">I", len(nal)) + nal for nal in (_frame(n) for n in range(FRAMES))]
    ftyp = _box(b"ftyp", b"isom", struct.pack(">I", 0x200), b"isom", b"iso2", b"avc1", b"mp41")
    moov_size = len(_moov(samples, sps, pps, 0))  # the offset's value does not change the size
    moov = _moov(samples, sps, pps, len(ftyp) + moov_size + 8)
    return ftyp + moov + _box(b"mdat", *samples)
