package org.cmarl.engine.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class NativeBlockTest {
    @Test
    void shouldBeZeroedAndAlignedWhenAllocated() {
        try (NativeBlock block = NativeBlock.allocate(1000, 64)) {
            assertEquals(0, block.address() % 64);
            long sum = 0;
            for (int i = 0; i < 1000; i++) {
                sum += block.buffer().getByte(i);
            }
            assertEquals(0, sum);
            block.buffer().putInt(996, 0x01020304);
            assertEquals(0x01020304, block.buffer().getInt(996));
        }
    }

    @Test
    void shouldRejectUseWhenClosed() {
        NativeBlock block = NativeBlock.allocate(16, 8);
        block.close();
        block.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, block::address);
        assertEquals("native block of 16 bytes is closed", e.getMessage());
    }

    @Test
    void shouldRejectBadAlignmentWhenAllocating() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NativeBlock.allocate(16, 24));
        assertEquals("alignmentBytes=24, required a power of two >= 8", e.getMessage());
    }
}
