"""Tolerances, in one place, with the reason for each."""

# Same algorithm as the reference, float64: only rounding differs (observed <= 5e-16 mV
# against brainpy.state.LIF over 500 steps).
BRAINPY_PARITY_MV = 1e-10

# Analytic solutions evaluated in float64 (exp-Euler is exact for constant input).
ANALYTIC_F64_MV = 1e-12

# float32 runs compared with float64 ones: ~1e-7 relative, accumulated over the steps.
FLOAT32_MV = 1e-4
