"""convergence-forecast: calibrated, updatable probabilities for claims about how AI technology converges."""
import warnings

# Sampling runs on numba (nutpie); PyTensor's C backend, which this warning is about, only builds small
# helper functions, so the warning would be noise on every command.
warnings.filterwarnings("ignore", message="PyTensor could not link to a BLAS", category=UserWarning)
