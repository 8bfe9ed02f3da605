/* CPUID-based detection of the x86 features glibc uses for library
 * lookup (x86-64-v2/v3/v4 and the legacy platform names). */
#include "cpu.h"

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

#define BIT(n) (1u << (n))

struct cpuid_regs {
	unsigned int eax, ebx, ecx, edx;
};

/* Reads CPUID leaf into r, or zeros when it is above max, the highest
 * leaf of its range. CPUID can trap to the hypervisor in a virtual
 * machine, so the caller reads each range's highest leaf only once. */
static void query(unsigned int leaf, unsigned int max, struct cpuid_regs *r)
{
	memset(r, 0, sizeof(*r));
	if (max >= leaf)
		__cpuid_count(leaf, 0, r->eax, r->ebx, r->ecx, r->edx);
}

static unsigned long long read_xcr0(void)
{
	unsigned int lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (unsigned long long)hi << 32 | lo;
}

static bool all_set(unsigned int reg, unsigned int bits)
{
	return (reg & bits) == bits;
}

static uint32_t isa_levels(const struct cpuid_regs *l1,
			   const struct cpuid_regs *l7,
			   const struct cpuid_regs *e1, bool avx, bool avx512)
{
	uint32_t levels = 0;

	/* Baseline: CMOV CX8 FPU FXSR MMX SSE SSE2. */
	if (!all_set(l1->edx, BIT(15) | BIT(8) | BIT(0) | BIT(24) | BIT(23) |
				      BIT(25) | BIT(26)))
		return 0;
	levels |= BIT(0);
	/* v2: CMPXCHG16B LAHF/SAHF POPCNT SSE3 SSSE3 SSE4.1 SSE4.2. */
	if (!all_set(l1->ecx,
		     BIT(13) | BIT(23) | BIT(0) | BIT(9) | BIT(19) | BIT(20)) ||
	    !(e1->ecx & BIT(0)))
		return levels;
	levels |= BIT(1);
	/* v3: AVX AVX2 BMI1 BMI2 F16C FMA LZCNT MOVBE. */
	if (!avx || !all_set(l1->ecx, BIT(28) | BIT(29) | BIT(12) | BIT(22)) ||
	    !all_set(l7->ebx, BIT(5) | BIT(3) | BIT(8)) || !(e1->ecx & BIT(5)))
		return levels;
	levels |= BIT(2);
	/* v4: AVX512F AVX512BW AVX512CD AVX512DQ AVX512VL. */
	if (avx512 &&
	    all_set(l7->ebx, BIT(16) | BIT(30) | BIT(28) | BIT(17) | BIT(31)))
		levels |= BIT(3);
	return levels;
}

void cpu_detect(struct cpu_info *cpu)
{
	struct cpuid_regs l0, l1, l7, e1;
	unsigned long long xcr0 = 0;
	bool avx, avx512;

	memset(cpu, 0, sizeof(*cpu));
	query(0, __get_cpuid_max(0, NULL), &l0);
	query(1, l0.eax, &l1);
	query(7, l0.eax, &l7);
	query(0x80000001u, __get_cpuid_max(0x80000000u, NULL), &e1);
	if (l1.ecx & BIT(27))
		xcr0 = read_xcr0();
	/* The OS must save SSE and AVX state (XCR0 bits 1 and 2), and for
	 * AVX-512 also the opmask and upper ZMM state (bits 5 to 7). */
	avx = (xcr0 & 0x6) == 0x6;
	avx512 = avx && (xcr0 & 0xe0) == 0xe0;
	cpu->x86 = true;
	cpu->intel = l0.ebx == 0x756e6547 && l0.edx == 0x49656e69 &&
		     l0.ecx == 0x6c65746e;
	cpu->isa_levels = isa_levels(&l1, &l7, &e1, avx, avx512);
	cpu->sse2 = l1.edx & BIT(26);
	cpu->xeon_phi = avx512 && all_set(l7.ebx, BIT(28) | BIT(27) | BIT(26));
	cpu->avx512_1 = avx512 && (l7.ebx & BIT(28)) && !(l7.ebx & BIT(27)) &&
			all_set(l7.ebx, BIT(30) | BIT(17) | BIT(31));
	cpu->haswell = avx && all_set(l7.ebx, BIT(5) | BIT(3) | BIT(8)) &&
		       all_set(l1.ecx, BIT(12) | BIT(22) | BIT(23)) &&
		       (e1.ecx & BIT(5));
}
#else
void cpu_detect(struct cpu_info *cpu)
{
	memset(cpu, 0, sizeof(*cpu));
}
#endif
