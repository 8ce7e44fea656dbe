package io.vecinfer.cuda.ops;

import io.vecinfer.cuda.DeviceBuffer;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** CPU: the shapes and devices matmul_wgmma.cu may take ({@link Matmul#wgmmaFits}); no GPU needed. */
class WgmmaPathRuleTest {
    private static DeviceBuffer.Slice at(long byteOffset) {
        return new DeviceBuffer.Slice(null, byteOffset);
    }

    @Test
    void onlyComputeCapability90() {
        assertTrue(Matmul.wgmmaFits(90, 4096, 6144, null));
        assertFalse(Matmul.wgmmaFits(80, 4096, 6144, null), "an A100 cannot load sm_90a code");
        assertFalse(Matmul.wgmmaFits(100, 4096, 6144, null), "nor can a Blackwell: sm_90a code runs on 9.0 alone");
        assertFalse(Matmul.wgmmaFits(89, 4096, 6144, null));
    }

    @Test
    void wholeKStepsOf64() {
        assertTrue(Matmul.wgmmaFits(90, 64, 256, null));
        assertTrue(Matmul.wgmmaFits(90, 14336, 4096, null));
        assertFalse(Matmul.wgmmaFits(90, 136, 256, null));
        assertFalse(Matmul.wgmmaFits(90, 4000, 256, null));
    }

    @Test
    void segmentsEndAtMultiplesOf8ColumnsInAlignedBuffers() {
        assertTrue(Matmul.wgmmaFits(90, 4096, 6144, Matmul.Outputs.split(List.of(at(0), at(0), at(0)), 4096, 1024, 1024)));
        assertTrue(Matmul.wgmmaFits(90, 4096, 288, Matmul.Outputs.split(List.of(at(0), at(8), at(4096)), 144, 72, 72)));
        assertFalse(Matmul.wgmmaFits(90, 4096, 300, Matmul.Outputs.of(at(0), 300)), "300 columns: the last pair would straddle the end");
        assertFalse(Matmul.wgmmaFits(90, 4096, 300, null));
        assertFalse(Matmul.wgmmaFits(90, 4096, 288, Matmul.Outputs.split(List.of(at(0), at(0), at(0)), 140, 76, 72)), "a segment end at 140");
        assertFalse(Matmul.wgmmaFits(90, 4096, 288, Matmul.Outputs.split(List.of(at(0), at(4), at(0)), 144, 72, 72)), "a 4-byte offset");
    }

    @Test
    void narrowTilesWhereWideOnesLeaveMultiprocessorsIdle() {
        int sms = 132; // an H200
        assertTrue(Matmul.narrowTilesFaster(512, 4096, sms), "o and down at 512 rows: 64 wide tiles for 132 multiprocessors");
        assertFalse(Matmul.narrowTilesFaster(512, 6144, sms), "qkv at 512 rows: one wave of 96 wide tiles against two narrow ones");
        assertFalse(Matmul.narrowTilesFaster(512, 128256, sms), "lm_head at 512 rows: many waves either way");
        assertFalse(Matmul.narrowTilesFaster(4096, 4096, sms), "o at 4096 rows: 512 wide tiles");
        assertFalse(Matmul.narrowTilesFaster(4096, 28672, sms));
    }
}
