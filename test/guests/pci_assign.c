/*
 * pci_assign: a host PCI function assigned to the guest, here the fixture
 * sysfs device of test/helpers/pci-sysfs-fixture.ts (10ee:7011):
 *   BAR0 32-bit memory 4 KiB, BAR1 32 I/O ports, BAR2/3 64-bit prefetchable
 *   memory 64 KiB, BAR4 32-bit memory 256 bytes (below a page: trapped),
 *   a 2 KiB ROM, capabilities PM (0x40) -> MSI (0x50) -> VPD (0x60) ->
 *   vendor specific (0x70), a device register at 0x80.
 * Finds it by ID, checks the virtualized registers (BARs, ROM, capability
 * list without VPD, interrupt line/pin, command bits, emulated MSI), sizes
 * the BARs, reads the fixture's bytes through every BAR and writes some
 * back (the test checks they landed in the files), moves the 64-bit BAR,
 * reads the ROM, reads and writes config space passed through, and last
 * enables bus mastering (the machine stops there unless dma=none).
 * Needs: the fixture device assigned (-pcidevice or -device vfio-pci).
 */
#include "pci_config.h"

#define VENDOR 0x10EE
#define DEVICE 0x7011

static int slot;

static u32 rd32(int reg) { return cfg_read32(slot, 0, reg); }
static u16 rd16(int reg) { return cfg_read16(slot, 0, reg); }
static u8 rd8(int reg) { return cfg_read8(slot, 0, reg); }
static void wr32(int reg, u32 v) { cfg_write32(slot, 0, reg, v); }
static void wr16(int reg, u16 v) { cfg_write16(slot, 0, reg, v); }

/* Writes all-ones to a BAR register and returns what reads back; puts the old value back. */
static u32 size_probe(int reg)
{
    u32 old = rd32(reg);
    wr32(reg, 0xFFFFFFFFu);
    u32 v = rd32(reg);
    wr32(reg, old);
    return v;
}

int main(void)
{
    slot = pci_find(VENDOR, DEVICE);
    if (!report(slot > 0, "assigned device 10ee:7011 found at slot %d", slot))
        return 1;
    report_info("00:%02x.0 %04x:%04x class %06x", slot, VENDOR, DEVICE, rd32(8) >> 8);
    report((rd32(8) >> 8) == 0x118000 && rd8(8) == 0x02, "class 0x118000 revision 2 from the host");
    report(rd32(0x2c) == 0x000710EE, "subsystem 10ee:0007 from the host");
    report(rd8(0x0e) == 0x00, "header type 0, single function");

    /* Interrupt routing is the machine's: pin INTA#, line = GSI of (slot, INTA#): 10, 10, 11, 11 by PIRQ. */
    u8 pin = rd8(0x3d), line = rd8(0x3c);
    u8 want_line = ((slot & 3) < 2) ? 10 : 11;
    report(pin == 1, "interrupt pin INTA# (%u)", pin);
    report(line == want_line, "interrupt line %u is the machine's routing, not the host's 11 or 0x0b (want %u)", line, want_line);

    /* Capability list: PM, MSI, vendor specific; VPD (unsupported) is hidden. */
    u16 status = rd16(6);
    report(status & 0x10, "status: capability list bit (0x%x)", status);
    u8 ids[8], offs[8];
    int n = 0;
    for (u8 at = rd8(0x34) & 0xFC; at && n < 8; at = rd8(at + 1) & 0xFC) {
        offs[n] = at;
        ids[n++] = rd8(at);
    }
    report(n == 3 && offs[0] == 0x40 && ids[0] == 0x01 && offs[1] == 0x50 && ids[1] == 0x05 && offs[2] == 0x70 && ids[2] == 0x09,
           "capabilities: PM at 0x40, MSI at 0x50, vendor at 0x70, VPD hidden (%d entries)", n);
    report(rd8(0x72) == 0x08 && rd8(0x73) == 't', "vendor capability body passes through");
    report(rd8(0x60) == 0x03, "the hidden VPD capability's bytes still read from the device");

    /* BARs as the machine placed them (no BIOS). */
    u32 bar0 = rd32(0x10), bar1 = rd32(0x14), bar2 = rd32(0x18), bar3 = rd32(0x1c), bar4 = rd32(0x20);
    report((bar0 & 0xF) == 0 && bar0 >= 0xE0000000u && (bar0 & 0xFFF) == 0 && bar0 != 0xFEB00000u,
           "BAR0: 32-bit memory in the guest's PCI hole, not the host address (0x%x)", bar0);
    report((bar1 & 3) == 1 && (bar1 & ~3u) >= 0xC000 && (bar1 & 0x1F) == 1, "BAR1: I/O from 0xC000 (0x%x)", bar1);
    report((bar2 & 0xF) == 0xC && (bar2 & 0xFFFF) == 0xC && bar3 == 0, "BAR2: 64-bit prefetchable below 4 GiB (0x%x:%x)", bar3, bar2);
    report((bar4 & 0xF) == 0 && (bar4 & 0xFF) == 0 && bar4 >= 0xE0000000u, "BAR4: 32-bit memory (0x%x)", bar4);
    report(rd32(0x24) == 0 && rd32(0x30) == 0, "BAR5 absent, ROM not placed");
    u16 cmd = rd16(4);
    report((cmd & 7) == 3, "command: memory and I/O decoding on, bus mastering off (0x%x)", cmd);

    /* Sizing with decoding off. */
    wr16(4, 0);
    report(size_probe(0x10) == 0xFFFFF000u, "BAR0 sizes to 4 KiB");
    report(size_probe(0x14) == 0xFFFFFFE1u, "BAR1 sizes to 32 ports");
    report(size_probe(0x18) == 0xFFFF000Cu && size_probe(0x1c) == 0xFFFFFFFFu, "BAR2/3 size to 64 KiB, 64-bit");
    report(size_probe(0x20) == 0xFFFFFF00u, "BAR4 sizes to 256 bytes");
    report(size_probe(0x30) == 0xFFFFF801u, "ROM sizes to 2 KiB with its enable bit");
    report(mmio_read32(bar0) == 0xFFFFFFFFu, "memory decoding off: BAR0 does not answer");
    wr16(4, 3);

    /* MMIO through the mapped BAR0 and the 64-bit BAR2, the trapped BAR4; port I/O through BAR1. */
    report(mmio_read32(bar0) == 0x11223344u, "BAR0 reads the fixture's first dword (0x%x)", mmio_read32(bar0));
    report(mmio_read8(bar0 + 0x123) == 0x23, "BAR0 byte 0x123 is the fixture's");
    mmio_write32(bar0 + 0x10, 0xCAFEBABEu);
    report(mmio_read32(bar0 + 0x10) == 0xCAFEBABEu, "BAR0 write reads back");
    u64 mem2 = bar2 & ~0xFu;
    report(mmio_read64(mem2) == 0x0102030405060708ull, "BAR2 reads the fixture's first qword");
    report(mmio_read32(mem2 + 0x8000) == 0x55AA55AAu, "BAR2 reads at 32 KiB");
    mmio_write64(mem2 + 0xFFF8, 0x8877665544332211ull);
    report(mmio_read32(bar4) == 0xC0FFEE00u, "BAR4 (trapped) reads the fixture's first dword");
    mmio_write16(bar4 + 0x20, 0xBEEF);
    report(mmio_read16(bar4 + 0x20) == 0xBEEF, "BAR4 write reads back");
    u16 io = bar1 & ~3u;
    report(inb(io + 3) == 0xA3 && inl(io + 4) == 0xA7A6A5A4u, "BAR1 port reads return the fixture's bytes");
    outl(io + 8, 0x0DDC0FFEu);
    outb(io + 0x1F, 0x5A);
    report(inl(io + 8) == 0x0DDC0FFEu, "BAR1 port write reads back");

    /* Move the 64-bit BAR by 1 MiB: the old place stops answering, the new one has the same bytes. */
    u32 moved = mem2 + 0x100000;
    wr32(0x18, moved | 0xC);
    report(rd32(0x18) == (moved | 0xC), "BAR2 moved to 0x%x", moved);
    report(mmio_read32(mem2) == 0xFFFFFFFFu, "old BAR2 address no longer decodes");
    report(mmio_read64(moved) == 0x0102030405060708ull && mmio_read64(moved + 0xFFF8) == 0x8877665544332211ull,
           "BAR2 at its new address: same bytes, including the one written before the move");

    /* ROM: place it, enable it, read the option ROM signature. */
    u32 rom = 0xFD000000u;
    wr32(0x30, rom | 1);
    report(rd32(0x30) == (rom | 1), "ROM placed at 0x%x and enabled", rom);
    report(mmio_read8(rom) == 0x55 && mmio_read8(rom + 1) == 0xAA && mmio_read8(rom + 2) == 0x04, "ROM reads 55 AA 04");
    mmio_write8(rom, 0);
    report(mmio_read8(rom) == 0x55, "ROM writes have no effect");
    wr32(0x30, rom);
    report(mmio_read8(rom) == 0xFF, "ROM disabled: no longer decodes");

    /* Config space passed through: the device's own register, and a write the test finds in the file. */
    report(rd32(0x80) == 0xDEADBEEFu, "config 0x80 passes through (0x%x)", rd32(0x80));
    wr32(0x84, 0x12345678u);
    report(rd32(0x84) == 0x12345678u, "config 0x84 write passes through");
    report(rd16(0x42) == 0x0003, "PM capabilities register passes through");

    /* MSI is emulated: its registers are the machine's. */
    u16 msi_ctl = rd16(0x52);
    report(msi_ctl == 0x0080, "MSI control: 64-bit, one vector, off (0x%x)", msi_ctl);
    wr32(0x54, 0xFEE00000u);
    wr32(0x58, 0);
    wr16(0x5c, 0x0041);
    wr16(0x52, 1);
    report(rd32(0x54) == 0xFEE00000u && rd16(0x5c) == 0x41 && (rd16(0x52) & 1), "MSI address, data and enable are held by the machine");

    /* Bus mastering last: the machine stops here unless the device was assigned with dma=none. */
    report_info("enabling bus mastering");
    wr16(4, 7);
    report((rd16(4) & 7) == 7, "bus mastering on (virtual: it never reaches the host)");
    return report_summary() ? 1 : 0;
}
