/* A stand-in libcufft.so.11 (CUDA 12's cuFFT soname) that forwards to libcufft.so.12 (CUDA 13's),
 * so the astra-toolbox 2.5.0 wheel, linked against CUDA 12, runs on the device image, which has
 * only CUDA 13's cuFFT. Tooling for the peer comparison (bench/peers/), not part of voidscan.
 *
 * libastra.so.0 imports exactly these five cuFFT functions, versioned "libcufft.so.11"
 * (objdump -T): cufftPlan1d, cufftExecR2C, cufftExecC2R, cufftSetStream, cufftDestroy. Their
 * signatures are unchanged between cuFFT 11 and 12; handles are ints, streams are the driver's
 * CUstream (shared by both runtimes in the device's primary context).
 * Build: bench/peers/prepare.sh (gcc -shared with cufft11.map for the symbol version). */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

static void* cufft12(const char* name) {
  static void* lib = NULL;
  if (!lib) {
    lib = dlopen("libcufft.so.12", RTLD_NOW | RTLD_GLOBAL);
    if (!lib) {
      fprintf(stderr, "cufft11 shim: cannot load libcufft.so.12: %s\n", dlerror());
      abort();
    }
  }
  void* f = dlsym(lib, name);
  if (!f) {
    fprintf(stderr, "cufft11 shim: libcufft.so.12 lacks %s\n", name);
    abort();
  }
  return f;
}

#define FORWARD(name, params, args)                        \
  int name params {                                        \
    static int(*f) params = NULL;                          \
    if (!f) f = (int(*) params)cufft12(#name);             \
    return f args;                                         \
  }

FORWARD(cufftPlan1d, (int* plan, int nx, int type, int batch), (plan, nx, type, batch))
FORWARD(cufftExecR2C, (int plan, void* in, void* out), (plan, in, out))
FORWARD(cufftExecC2R, (int plan, void* in, void* out), (plan, in, out))
FORWARD(cufftSetStream, (int plan, void* stream), (plan, stream))
FORWARD(cufftDestroy, (int plan), (plan))
