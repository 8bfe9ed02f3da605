/* Byte-order aware loads from buffers read out of ELF files. */
#pragma once

#include <elf.h>
#include <stdint.h>

static inline uint16_t elf_get16(const unsigned char *p, uint8_t data)
{
	if (data == ELFDATA2MSB)
		return (uint16_t)(p[0] << 8 | p[1]);
	return (uint16_t)(p[1] << 8 | p[0]);
}

static inline uint32_t elf_get32(const unsigned char *p, uint8_t data)
{
	if (data == ELFDATA2MSB)
		return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		       (uint32_t)p[2] << 8 | p[3];
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[1] << 8 | p[0];
}

static inline uint64_t elf_get64(const unsigned char *p, uint8_t data)
{
	uint64_t hi, lo;

	if (data == ELFDATA2MSB) {
		hi = elf_get32(p, data);
		lo = elf_get32(p + 4, data);
	} else {
		lo = elf_get32(p, data);
		hi = elf_get32(p + 4, data);
	}
	return hi << 32 | lo;
}

/* Loads a word that is 4 bytes in ELFCLASS32 files and 8 in ELFCLASS64. */
static inline uint64_t elf_get_word(const unsigned char *p, uint8_t class,
				    uint8_t data)
{
	return class == ELFCLASS64 ? elf_get64(p, data) : elf_get32(p, data);
}
