package org.cmarl.engine.nn;

import org.bytedeco.pytorch.global.torch;

/**
 * libtorch's autocast to bfloat16 for one device type, for the extent of a try-with-resources block; restores
 * the previous state at close. Autocast's weight-cast cache is off inside: a cached bfloat16 copy would outlive an
 * in-place optimiser step (and this binding has no call to clear the cache), so each forward casts afresh.
 */
final class Autocast implements AutoCloseable {
    private final torch.DeviceType type;
    private final boolean wasEnabled;
    private final torch.ScalarType wasDtype;
    private final boolean wasCaching;

    private Autocast(torch.DeviceType type) {
        this.type = type;
        this.wasEnabled = torch.is_autocast_enabled(type);
        this.wasDtype = torch.get_autocast_dtype(type);
        this.wasCaching = torch.is_autocast_cache_enabled();
        torch.set_autocast_cache_enabled(false);
        torch.set_autocast_dtype(type, torch.ScalarType.BFloat16);
        torch.set_autocast_enabled(type, true);
    }

    static Autocast bf16(Device device) {
        return new Autocast(device == Device.CUDA ? torch.DeviceType.CUDA : torch.DeviceType.CPU);
    }

    @Override
    public void close() {
        torch.set_autocast_enabled(type, wasEnabled);
        torch.set_autocast_dtype(type, wasDtype);
        torch.set_autocast_cache_enabled(wasCaching);
    }
}
