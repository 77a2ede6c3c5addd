// The engine's runtimes (CPU, WebGPU, CUDA): provisioning (install cuda), diagnosis (doctor), the
// `--device auto` resolver and the CUDA worker's environment. Re-exports only.
export { resolveDevice, hostProbes, clearDeviceProbeCache, DeviceUnavailableError, DEVICE_CHOICES, type DeviceRequest, type DeviceChoice, type DeviceProbes, type Availability } from './resolve-device.js';
export { cudaEngineEnv, cudaLibraryDirs, cudaProviderNeeds, CUDA13_PROVIDER_NEEDS } from './cuda-env.js';
export { cudaWorkerEnv } from './cuda-libraries.js';
export { runDoctor, formatDoctor, probeCuda, probeWebgpu, checkCuda, type DoctorReport, type RuntimeVerdict, type Problem } from './doctor.js';
export { installCudaProvider, uninstallCudaProvider, readProviderRecord, ProviderVersionError, type ProviderRecord, type InstallResult } from './cuda-install.js';
export { smokeTest, type Runtime, type SmokeResult } from './session-smoke.js';
export { systemHost, type Host } from './host.js';
export { CUDA_PROVIDER_PACKAGE, INSTALL_COMMAND, locateOnnxruntime } from './onnxruntime-location.js';
