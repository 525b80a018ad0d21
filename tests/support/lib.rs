//! Test support: starting the simulator, local AWS and the function binaries.
