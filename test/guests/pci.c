/*
 * pci: PCI configuration mechanism #1 and the pci-testdev protocol.
 * Enumerates bus 0, finds the host bridge and pci-testdev (1b36:0005) by
 * ID, checks the BARs the machine assigned (no BIOS), sizes them, runs the
 * device's MMIO (BAR0) and port I/O (BAR1) tests, moves BAR0 and runs them
 * again, reads the interrupt pin/line.
 * Needs: -device pci-testdev.
 */
#include "pci_config.h"

/* Runs every test of the BAR until the device says "no such test"; returns how many passed. */
static int run_mmio_tests(u64 base)
{
    int passed = 0;
    for (int n = 0; n < 16; n++) {
        mmio_write8(base, n);
        u8 width = mmio_read8(base + 1);
        if (width != 1 && width != 2 && width != 4)
            break;
        u32 off = mmio_read32(base + 4), data = mmio_read32(base + 8);
        if (width == 1) mmio_write8(base + off, data);
        else if (width == 2) mmio_write16(base + off, data);
        else mmio_write32(base + off, data);
        char name[40];
        for (unsigned i = 0; i < sizeof(name) - 1; i++) name[i] = mmio_read8(base + 16 + i);
        name[sizeof(name) - 1] = 0;
        passed += report(mmio_read32(base + 12) == 1, "mmio test %d (%s): width %u offset 0x%x counted one write", n, name, width, off);
    }
    return passed;
}

static int run_io_tests(u16 base)
{
    int passed = 0;
    for (int n = 0; n < 16; n++) {
        outb(base, n);
        u8 width = inb(base + 1);
        if (width != 1 && width != 2 && width != 4)
            break;
        u32 off = inl(base + 4), data = inl(base + 8);
        if (width == 1) outb(base + off, data);
        else if (width == 2) outw(base + off, data);
        else outl(base + off, data);
        char name[40];
        for (unsigned i = 0; i < sizeof(name) - 1; i++) name[i] = inb(base + 16 + i);
        name[sizeof(name) - 1] = 0;
        passed += report(inl(base + 12) == 1, "port test %d (%s): width %u offset 0x%x counted one write", n, name, width, off);
    }
    return passed;
}

int main(void)
{
    int testdev = -1, devices = 0;
    for (int dev = 0; dev < 32; dev++) {
        u32 id = cfg_read32(dev, 0, 0);
        if ((id & 0xFFFF) == 0xFFFF)
            continue;
        devices++;
        u32 class = cfg_read32(dev, 0, 8) >> 8;
        report_info("00:%02x.0 %04x:%04x class %06x", dev, id & 0xFFFF, id >> 16, class);
        if (id == 0x00051b36)
            testdev = dev;
    }
    report(cfg_read32(0, 0, 0) == 0x12378086, "host bridge 8086:1237 at 00:00.0");
    report((cfg_read32(0, 0, 8) >> 16) == 0x0600, "host bridge class 0x0600");
    report(cfg_read16(0, 0, 2) == 0x1237 && cfg_read8(0, 0, 0x0b) == 0x06, "word and byte accesses at offsets");
    report(inl(PCI_ADDR) == cfg_addr(0, 0, 8), "CONFIG_ADDRESS reads back");
    report(cfg_read32(31, 7, 0) == 0xFFFFFFFFu, "empty slot reads all-ones");
    outl(PCI_ADDR, 0);
    report(inl(PCI_DATA) == 0xFFFFFFFFu, "enable bit clear: data port reads all-ones");
    report(devices == 2, "two devices on bus 0 (%d)", devices);
    if (!report(testdev > 0, "pci-testdev found at slot %d", testdev))
        return 1;

    u32 bar0 = cfg_read32(testdev, 0, 0x10), bar1 = cfg_read32(testdev, 0, 0x14);
    u16 cmd = cfg_read16(testdev, 0, 4);
    report((bar0 & 0xF) == 0 && bar0 >= 0xE0000000u && bar0 < 0xFEC00000u && (bar0 & 0xFFF) == 0,
           "BAR0: 32-bit memory in the PCI hole, 4 KiB aligned (0x%x)", bar0);
    report((bar1 & 3) == 1 && (bar1 & ~3u) >= 0xC000 && (bar1 & 0xFF) == 1, "BAR1: I/O from 0xC000, 256-aligned (0x%x)", bar1);
    report((cmd & 3) == 3, "memory and I/O decoding enabled by the machine (command 0x%x)", cmd);
    report(cfg_read8(testdev, 0, 0x3d) == 0, "no interrupt pin");
    report(cfg_read8(testdev, 0, 0x3c) == 0xFF, "interrupt line 0xFF (none)");
    report(cfg_read32(testdev, 0, 0x2c) != 0xFFFFFFFFu, "subsystem IDs readable");

    /* Sizing, with decoding off. */
    cfg_write16(testdev, 0, 4, 0);
    cfg_write32(testdev, 0, 0x10, 0xFFFFFFFFu);
    cfg_write32(testdev, 0, 0x14, 0xFFFFFFFFu);
    u32 size0 = cfg_read32(testdev, 0, 0x10), size1 = cfg_read32(testdev, 0, 0x14);
    report(size0 == 0xFFFFF000u && ~(size0 & ~0xFu) + 1 == 0x1000, "BAR0 sizes to 4 KiB (0x%x)", size0);
    report(size1 == 0xFFFFFF01u && ~(size1 & ~3u) + 1 == 0x100, "BAR1 sizes to 256 ports (0x%x)", size1);
    cfg_write32(testdev, 0, 0x10, bar0);
    cfg_write32(testdev, 0, 0x14, bar1);
    report(inl((bar1 & ~3u) + 12) == 0xFFFFFFFFu, "I/O decoding off: the BAR does not answer");
    cfg_write16(testdev, 0, 4, 3);

    report(run_mmio_tests(bar0) == 3, "three MMIO tests at BAR0");
    report(run_io_tests(bar1 & ~3u) == 3, "three port I/O tests at BAR1");

    /* Move BAR0 by 64 KiB: the old address stops answering, the new one runs the tests. */
    u32 moved = bar0 + 0x10000;
    cfg_write32(testdev, 0, 0x10, moved);
    report(cfg_read32(testdev, 0, 0x10) == moved, "BAR0 moved to 0x%x", moved);
    report(mmio_read32(bar0 + 4) == 0xFFFFFFFFu, "old BAR0 address no longer decodes");
    report(run_mmio_tests(moved) == 3, "MMIO tests at the moved BAR0");
    return report_summary() ? 1 : 0;
}
