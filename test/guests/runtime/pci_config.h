/*
 * PCI configuration mechanism #1 (ports 0xCF8/0xCFC) on bus 0 and volatile
 * MMIO accessors, shared by the PCI guests.
 */
#ifndef PCI_CONFIG_H
#define PCI_CONFIG_H
#include "guest.h"

#define PCI_ADDR 0xCF8
#define PCI_DATA 0xCFC

static inline u32 cfg_addr(int dev, int fn, int reg) { return 0x80000000u | (dev << 11) | (fn << 8) | (reg & 0xFC); }
static inline u32 cfg_read32(int dev, int fn, int reg) { outl(PCI_ADDR, cfg_addr(dev, fn, reg)); return inl(PCI_DATA); }
static inline u16 cfg_read16(int dev, int fn, int reg) { outl(PCI_ADDR, cfg_addr(dev, fn, reg)); return inw(PCI_DATA + (reg & 2)); }
static inline u8 cfg_read8(int dev, int fn, int reg) { outl(PCI_ADDR, cfg_addr(dev, fn, reg)); return inb(PCI_DATA + (reg & 3)); }
static inline void cfg_write32(int dev, int fn, int reg, u32 v) { outl(PCI_ADDR, cfg_addr(dev, fn, reg)); outl(PCI_DATA, v); }
static inline void cfg_write16(int dev, int fn, int reg, u16 v) { outl(PCI_ADDR, cfg_addr(dev, fn, reg)); outw(PCI_DATA + (reg & 2), v); }
static inline void cfg_write8(int dev, int fn, int reg, u8 v) { outl(PCI_ADDR, cfg_addr(dev, fn, reg)); outb(PCI_DATA + (reg & 3), v); }

static inline u8 mmio_read8(u64 a) { return *(volatile u8 *)a; }
static inline u16 mmio_read16(u64 a) { return *(volatile u16 *)a; }
static inline u32 mmio_read32(u64 a) { return *(volatile u32 *)a; }
static inline u64 mmio_read64(u64 a) { return *(volatile u64 *)a; }
static inline void mmio_write8(u64 a, u8 v) { *(volatile u8 *)a = v; }
static inline void mmio_write16(u64 a, u16 v) { *(volatile u16 *)a = v; }
static inline void mmio_write32(u64 a, u32 v) { *(volatile u32 *)a = v; }
static inline void mmio_write64(u64 a, u64 v) { *(volatile u64 *)a = v; }

/* The first slot on bus 0 whose function 0 has this vendor:device, or -1. */
static inline int pci_find(u16 vendor, u16 device)
{
    for (int dev = 0; dev < 32; dev++)
        if (cfg_read32(dev, 0, 0) == ((u32)device << 16 | vendor))
            return dev;
    return -1;
}

#endif
