package io.vecinfer.cuda.ops;

import io.vecinfer.cuda.DeviceBuffer;
import io.vecinfer.cuda.TensorMaps;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
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
    void narrowerTilesWhereWideOnesLeaveMultiprocessorsIdle() {
        int sms = 132; // an H200
        assertEquals(Matmul.Path.WGMMA_NARROW, Matmul.fastestWgmma(512, 4096, sms), "o and down at 512 rows: 64 wide tiles for 132 multiprocessors");
        assertEquals(Matmul.Path.WGMMA_MEDIUM, Matmul.fastestWgmma(512, 6144, sms),
                "qkv at 512 rows: one wave of 128 medium tiles against one of 96 wide ones or two narrow ones");
        assertEquals(Matmul.Path.WGMMA, Matmul.fastestWgmma(512, 128256, sms), "lm_head at 512 rows: many waves either way");
        assertEquals(Matmul.Path.WGMMA, Matmul.fastestWgmma(4096, 4096, sms), "o at 4096 rows: 512 wide tiles");
        assertEquals(Matmul.Path.WGMMA, Matmul.fastestWgmma(4096, 6144, sms), "qkv at 4096 rows: 6 wide waves, 8 medium ones");
        assertEquals(Matmul.Path.WGMMA, Matmul.fastestWgmma(4096, 28672, sms));
        assertEquals(Matmul.Path.WGMMA_NARROW, Matmul.fastestWgmma(512, 28672, sms),
                "gate|up at 512 rows: 7 narrow waves cost less than 4 wide ones (measured with TMA)");
        for (Matmul.Path p : Matmul.Path.values()) assertEquals(p.name().startsWith("WGMMA"), p.wgmma(), p.toString());
    }

    @Test
    void kIsSplitOnlyWhereTheTilesLeaveMostMultiprocessorsIdle() {
        int sms = 132;
        assertEquals(112, Matmul.wgmmaKTilesPerSplit(198, 14336, 4096, 128, sms), "down at 198 rows: 64 narrow tiles, 2 splits of 112 k tiles");
        assertEquals(32, Matmul.wgmmaKTilesPerSplit(198, 4096, 4096, 128, sms), "o at 198 rows: 2 splits of 32");
        assertEquals(64, Matmul.wgmmaKTilesPerSplit(198, 4096, 6144, 128, sms), "qkv at 198 rows: 96 tiles, no second split");
        assertEquals(64, Matmul.wgmmaKTilesPerSplit(4096, 4096, 4096, 256, sms), "prefill: 512 tiles, no split");
        assertEquals(8, Matmul.wgmmaKTilesPerSplit(300, 4096, 256, 256, sms), "3 tiles: 44 wanted, 8 splits of the shortest allowed 8 k tiles");
        assertEquals(1, Matmul.wgmmaKTilesPerSplit(1, 64, 256, 256, sms), "one k tile: nothing to split");
        for (int rows : new int[]{33, 64, 128, 198, 256, 512, 1024}) {
            for (int in : new int[]{64, 512, 4096, 14336}) {
                for (int out : new int[]{256, 4096, 6144, 28672}) {
                    int perSplit = Matmul.wgmmaKTilesPerSplit(rows, in, out, 128, sms), kTiles = in / 64;
                    int splits = (kTiles + perSplit - 1) / perSplit;
                    long tiles = (long) ((rows + 127) / 128) * ((out + 127) / 128);
                    assertTrue(perSplit >= 1 && perSplit <= kTiles, rows + "x" + in + "x" + out);
                    assertTrue(splits == 1 || (perSplit >= Matmul.WGMMA_MIN_SPLIT_K_TILES - 1 && tiles * splits <= sms),
                            rows + "x" + in + "x" + out + ": " + splits + " splits of " + perSplit + " for " + tiles + " tiles");
                    assertTrue((long) (splits - 1) * perSplit < kTiles, "no empty split");
                }
            }
        }
    }

    @Test
    void tmaLoadsAreRefusedWithTheReasonWhereTensorMapsCannotBeEncoded() {
        assumeTrue(TensorMaps.unavailableReason().isPresent(), "tensor maps can be encoded here");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new Matmul(null, Matmul.Precision.TENSOR_CORES, Matmul.WgmmaLoads.TMA, Matmul.WgmmaGrid.PERSISTENT));
        assertTrue(e.getMessage().contains(TensorMaps.unavailableReason().get()), e.getMessage());
    }
}
