"""The supply: PV, wind, storage, green-power accounting and the compiled storage kernels."""
