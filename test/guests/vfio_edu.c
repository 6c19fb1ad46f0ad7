/*
 * vfio_edu: QEMU's educational PCI device (1234:11e8, docs/specs/edu.rst in
 * QEMU) assigned to the guest through VFIO. Run by scripts/vfio-in-qemu.mjs
 * inside a Linux guest of QEMU where the edu device sits behind an emulated
 * Intel IOMMU and is bound to vfio-pci, so every step below crosses the real
 * VFIO path: BAR0 mapped from the VFIO device region, interrupts through
 * eventfds, DMA through the IOMMU mapping of guest RAM.
 *
 * edu's BAR0 (1 MiB): 0x00 identification 0xRRrr00ed, 0x04 liveness (reads
 * back the inverse), 0x08 factorial (0x20 bit 0 busy while computing), 0x24
 * interrupt status, 0x60 raise (ORs into status and interrupts), 0x64
 * acknowledge (clears status bits), 0x80/0x88/0x90/0x98 DMA source,
 * destination, count, command (bit 0 start/busy, bit 1 device-to-RAM, bit 2
 * raise 0x100 when done); the device's DMA buffer is at device address
 * 0x40000 (4 KiB). Registers below 0x80 take 4-byte accesses only.
 */
#include "apic.h"
#include "pc_ports.h"
#include "pci_config.h"

#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11E8
#define EDU_ID 0x00
#define EDU_LIVENESS 0x04
#define EDU_FACTORIAL 0x08
#define EDU_STATUS 0x20
#define EDU_STATUS_BUSY 0x01
#define EDU_IRQ_STATUS 0x24
#define EDU_IRQ_RAISE 0x60
#define EDU_IRQ_ACK 0x64
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_COUNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_DMA_START 0x01
#define EDU_DMA_TO_RAM 0x02
#define EDU_DMA_IRQ 0x04
#define EDU_DMA_DONE_STATUS 0x100
#define EDU_BUFFER 0x40000

#define IOAPIC_BASE 0xFEC00000ull
#define V_INTX 0x40
#define V_MSI 0x41
#define WAIT_SECONDS 60
#define DMA_BYTES 256

static int slot;
static u64 bar0;
static volatile unsigned hits[256];
/* The interrupt status each handler read (and acknowledged). */
static volatile u32 last_status[256];
static u8 dma_source[DMA_BYTES] __attribute__((aligned(64)));
static u8 dma_back[DMA_BYTES] __attribute__((aligned(64)));

static u32 edu_read(u32 reg) { return mmio_read32(bar0 + reg); }
static void edu_write(u32 reg, u32 v) { mmio_write32(bar0 + reg, v); }

static void ioapic_write(u32 reg, u32 v)
{
    *(volatile u32 *)IOAPIC_BASE = reg;
    *(volatile u32 *)(IOAPIC_BASE + 0x10) = v;
}
static u32 ioapic_read(u32 reg)
{
    *(volatile u32 *)IOAPIC_BASE = reg;
    return *(volatile u32 *)(IOAPIC_BASE + 0x10);
}

/* The device's handler, as a driver's ISR: read the status, acknowledge it, EOI. */
static int edu_irq(struct trap_frame *f)
{
    unsigned v = (unsigned)f->vector;
    u32 status = edu_read(EDU_IRQ_STATUS);
    last_status[v] = status;
    edu_write(EDU_IRQ_ACK, status);
    hits[v]++;
    apic_eoi();
    return 1;
}

/* Waits with interrupts on until hits[vector] reaches n or WAIT_SECONDS of PM-timer time pass. */
static void wait_hits(unsigned vector, unsigned n)
{
    u64 elapsed = 0;
    u32 last = inl(PM_TMR) & 0xFFFFFF;
    asm volatile("sti" ::: "memory");
    while (hits[vector] < n && elapsed < (u64)WAIT_SECONDS * PM_HZ) {
        cpu_pause();
        u32 now = inl(PM_TMR) & 0xFFFFFF;
        elapsed += (now - last) & 0xFFFFFF;
        last = now;
    }
    asm volatile("cli" ::: "memory");
}

/* Lets pending interrupts in for a moment (a spurious one would show in hits). */
static void settle(void)
{
    u32 start = inl(PM_TMR) & 0xFFFFFF;
    asm volatile("sti" ::: "memory");
    while (((inl(PM_TMR) - start) & 0xFFFFFF) < PM_HZ / 10)
        cpu_pause();
    asm volatile("cli" ::: "memory");
}

static int find_capability(u8 id)
{
    for (u8 at = cfg_read8(slot, 0, 0x34) & 0xFC; at; at = cfg_read8(slot, 0, at + 1) & 0xFC)
        if (cfg_read8(slot, 0, at) == id)
            return at;
    return -1;
}

static void registers(void)
{
    u32 id = edu_read(EDU_ID);
    report((id & 0xFFFF) == 0x00ED, "identification register 0x%08x (0xRRrr00ed, version %u.%u)", id, id >> 24, (id >> 16) & 0xFF);
    edu_write(EDU_LIVENESS, 0x12345678);
    u32 live = edu_read(EDU_LIVENESS);
    report(live == ~0x12345678u, "liveness: 0x12345678 reads back inverted (0x%08x)", live);
    edu_write(EDU_LIVENESS, 0xA5A50000);
    live = edu_read(EDU_LIVENESS);
    report(live == ~0xA5A50000u, "liveness again: 0xa5a50000 reads back inverted (0x%08x)", live);

    edu_write(EDU_FACTORIAL, 10);
    u64 spins = 0;
    while ((edu_read(EDU_STATUS) & EDU_STATUS_BUSY) && spins < 100000000)
        spins++;
    u32 fact = edu_read(EDU_FACTORIAL);
    report(fact == 3628800, "factorial of 10 computed by the device: %u", fact);
}

static void intx(void)
{
    u8 line = cfg_read8(slot, 0, 0x3C), pin = cfg_read8(slot, 0, 0x3D);
    report(pin == 1 && (line == 10 || line == 11), "INTx: pin INTA#, line %u (pin %u)", line, pin);
    /* Level-triggered, active low as PCI INTx, fixed delivery to APIC 0. */
    ioapic_write(0x11 + 2 * line, 0);
    ioapic_write(0x10 + 2 * line, V_INTX | (1u << 15) | (1u << 13));

    edu_write(EDU_IRQ_RAISE, 0x1234);
    wait_hits(V_INTX, 1);
    report(hits[V_INTX] == 1, "INTx: raise 0x1234 interrupted through the IOAPIC (%u)", hits[V_INTX]);
    report(last_status[V_INTX] == 0x1234, "INTx: the handler saw status 0x1234 (0x%x)", last_status[V_INTX]);
    settle();
    report(hits[V_INTX] == 1, "INTx: acknowledged and EOIed, no second interrupt (%u)", hits[V_INTX]);
    report(!(ioapic_read(0x10 + 2 * line) & (1u << 14)), "INTx: remote IRR clear after the EOI");
    report(edu_read(EDU_IRQ_STATUS) == 0, "INTx: device status clear");

    /* The host line was unmasked after the EOI: a second raise comes through too. */
    edu_write(EDU_IRQ_RAISE, 0x5);
    wait_hits(V_INTX, 2);
    report(hits[V_INTX] == 2 && last_status[V_INTX] == 0x5, "INTx: a second raise (0x5) interrupts again (%u, status 0x%x)", hits[V_INTX], last_status[V_INTX]);
    ioapic_write(0x10 + 2 * line, V_INTX | (1u << 16));
}

static void msi(void)
{
    int cap = find_capability(0x05);
    if (!report(cap > 0, "MSI capability in the list (at 0x%x)", cap))
        return;
    u16 control = cfg_read16(slot, 0, cap + 2);
    report(control & 0x80, "MSI: 64-bit address capable (control 0x%x)", control);
    cfg_write32(slot, 0, cap + 4, 0xFEE00000u);   /* APIC 0, physical */
    cfg_write32(slot, 0, cap + 8, 0);
    cfg_write16(slot, 0, cap + 12, V_MSI);        /* fixed, edge */
    cfg_write16(slot, 0, cap + 2, control | 1);

    edu_write(EDU_IRQ_RAISE, 0x40);
    wait_hits(V_MSI, 1);
    report(hits[V_MSI] == 1 && last_status[V_MSI] == 0x40, "MSI: raise 0x40 arrived as vector 0x41 (%u, status 0x%x)", hits[V_MSI], last_status[V_MSI]);
    edu_write(EDU_IRQ_RAISE, 0x80);
    wait_hits(V_MSI, 2);
    report(hits[V_MSI] == 2 && last_status[V_MSI] == 0x80, "MSI: a second raise (0x80) arrived too (%u, status 0x%x)", hits[V_MSI], last_status[V_MSI]);
    settle();
    report(hits[V_INTX] == 2 && hits[V_MSI] == 2, "MSI: nothing through INTx meanwhile, no extra messages (%u, %u)", hits[V_INTX], hits[V_MSI]);
}

static int dma_wait(void)
{
    u64 spins = 0;
    while ((edu_read(EDU_DMA_CMD) & EDU_DMA_START) && spins < 400000000)
        spins++;
    return !(edu_read(EDU_DMA_CMD) & EDU_DMA_START);
}

static void dma(void)
{
    /* edu masks DMA addresses to 28 bits: both buffers are in the guest image, far below 256 MiB. */
    u64 src = (u64)dma_source, back = (u64)dma_back;
    report(src + DMA_BYTES <= (1u << 28) && back + DMA_BYTES <= (1u << 28), "DMA buffers below 256 MiB (0x%lx, 0x%lx)", (unsigned long)src, (unsigned long)back);
    for (int i = 0; i < DMA_BYTES; i++) {
        dma_source[i] = (u8)(i * 7 + 3);
        dma_back[i] = 0;
    }
    /* RAM -> device buffer. */
    edu_write(EDU_DMA_SRC, (u32)src);
    edu_write(EDU_DMA_DST, EDU_BUFFER);
    edu_write(EDU_DMA_COUNT, DMA_BYTES);
    edu_write(EDU_DMA_CMD, EDU_DMA_START);
    report(dma_wait(), "DMA: guest RAM 0x%lx -> device buffer finished", (unsigned long)src);
    /* Device buffer -> RAM at another address, with the completion interrupt (MSI is on). */
    unsigned before = hits[V_MSI];
    edu_write(EDU_DMA_SRC, EDU_BUFFER);
    edu_write(EDU_DMA_DST, (u32)back);
    edu_write(EDU_DMA_COUNT, DMA_BYTES);
    edu_write(EDU_DMA_CMD, EDU_DMA_START | EDU_DMA_TO_RAM | EDU_DMA_IRQ);
    report(dma_wait(), "DMA: device buffer -> guest RAM 0x%lx finished", (unsigned long)back);
    wait_hits(V_MSI, before + 1);
    report(hits[V_MSI] == before + 1 && last_status[V_MSI] == EDU_DMA_DONE_STATUS, "DMA: completion interrupt 0x100 as MSI (status 0x%x)", last_status[V_MSI]);
    int same = 0;
    for (int i = 0; i < DMA_BYTES; i++)
        same += dma_back[i] == dma_source[i];
    report(same == DMA_BYTES, "DMA round trip: %d of %d bytes came back (first 0x%02x 0x%02x, last 0x%02x)", same, DMA_BYTES, dma_back[0], dma_back[1], dma_back[DMA_BYTES - 1]);
}

int main(void)
{
    slot = pci_find(EDU_VENDOR, EDU_DEVICE);
    if (!report(slot > 0, "edu device 1234:11e8 found at slot %d", slot))
        return 1;
    u32 b = cfg_read32(slot, 0, 0x10);
    bar0 = b & ~0xFull;
    report((b & 0x1) == 0 && bar0 >= 0xE0000000u, "BAR0: memory at 0x%lx (placed by the machine)", (unsigned long)bar0);
    cfg_write32(slot, 0, 0x10, 0xFFFFFFFFu);
    u32 size = ~(cfg_read32(slot, 0, 0x10) & ~0xFu) + 1;
    cfg_write32(slot, 0, 0x10, b);
    report(size == 1u << 20, "BAR0 is 1 MiB (0x%x)", size);
    /* Memory decoding and bus mastering: through VFIO the device may do DMA into guest RAM. */
    cfg_write16(slot, 0, 0x04, cfg_read16(slot, 0, 0x04) | 0x6);
    report((cfg_read16(slot, 0, 0x04) & 0x6) == 0x6, "command: memory decoding and bus mastering on");

    outb(PIC1_DATA, 0xFF);
    outb(PIC2_DATA, 0xFF);
    apic_write(APIC_SVR, APIC_SVR_ENABLE | 0xFF);
    set_trap_handler(V_INTX, edu_irq);
    set_trap_handler(V_MSI, edu_irq);

    registers();
    intx();
    msi();
    dma();
    return 0;
}
