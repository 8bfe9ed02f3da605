/* The processor facts that choose glibc's library subdirectories. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct cpu_info {
	bool x86;            /* the facts below were read with CPUID */
	bool intel;          /* vendor GenuineIntel */
	uint32_t isa_levels; /* bit 0 baseline, 1 x86-64-v2, 2 v3, 3 v4 */
	bool sse2;
	bool avx512_1; /* glibc's HWCAP_X86_AVX512_1 */
	bool haswell;  /* glibc's "haswell" platform features */
	bool xeon_phi; /* AVX512ER and AVX512PF */
};

/* Reads the running processor's features as glibc's cpu_features.c
 * does: AVX and AVX-512 count only when the OS saves their registers. */
void cpu_detect(struct cpu_info *cpu);
