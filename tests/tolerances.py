"""Tolerances, in one place, with the reason for each."""

# Same algorithm as the reference, float64: only rounding differs (observed <= 5e-16 mV
# against brainpy.state.LIF over 500 steps).
BRAINPY_PARITY_MV = 1e-10

# Analytic solutions evaluated in float64 (exp-Euler is exact for constant input).
ANALYTIC_F64_MV = 1e-12

# float32 runs compared with float64 ones: ~1e-7 relative, accumulated over the steps.
FLOAT32_MV = 1e-4

# spikax.iaf_psc_alpha vs NEST 3.10 iaf_psc_alpha traces, float64: same propagators and step
# order as NEST; V is stored absolute (NEST keeps V - E_L), which costs one rounding of
# ~1e-14 mV per step (observed <= 7.9e-14 mV over 8 scenarios).
NEST_IAF_PARITY_MV = 1e-11

# spikax.glif_psc_double_alpha vs NEST 3.10 glif_psc_double_alpha traces, float64 (V, threshold,
# threshold_spike, threshold_voltage): NEST's operations in NEST's order; V stored absolute
# (observed <= 4.9e-13 mV over 18 scenarios). In float32 the same runs stay within FLOAT32_MV
# (observed <= 8.6e-5 mV, identical spikes).
NEST_GLIF_PARITY_MV = 1e-11

# Currents (w, I1, I2, in mA) of spikax.AdExIFRef / GifRef / Gif vs brainpy.state 2.9.0 traces,
# float64: spikax keeps them in pA (a factor 1e9 each way, one rounding); observed <= 2e-14 mA.
BRAINPY_PARITY_MA = 1e-12
