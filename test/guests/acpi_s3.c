/*
 * acpi_s3: ACPI S3 (suspend to RAM) as an OS drives it. The guest finds the
 * FADT, FACS and \_S3 in the firmware tables, then sleeps twice through
 * PM1a_CNT (SLP_TYP from \_S3, then SLP_EN):
 *  1. real-mode waking vector (Firmware_Waking_Vector), woken by the RTC
 *     alarm with PM1 RTC_EN set;
 *  2. 32-bit waking vector (X_Firmware_Waking_Vector), RTC_EN clear: the
 *     alarm only sets RTC_STS and the host wakes the machine (QMP
 *     system_wakeup; the test waits for RTC_STS first).
 * After each wake it checks the entry environment the spec promises (CS:IP
 * from the vector, real or flat 32-bit protected mode, interrupts off),
 * WAK_STS and its write-1-to-clear, that RAM kept its contents and that the
 * CPU and its local APIC came back in their power-on state. With cpus=N
 * (-smp N) the APs spin before each sleep; after the wake they must be off
 * (waiting for a startup IPI) until INIT-SIPI-SIPI starts them again.
 * Serial markers: "S3-SLEEP 1", "S3-SLEEP 2" right before each SLP_EN write.
 */
#include "guest.h"
#include "apic.h"
#include "segments.h"
#include "ap_boot.h"

#define WAKE16_BASE 0x7000u

#define PM1_STS_RTC (1u << 10)
#define PM1_STS_WAK (1u << 15)
#define PM1_EN_RTC (1u << 10)
#define PM1_CNT_SCI_EN (1u << 0)
#define PM1_CNT_SLP_TYP_SHIFT 10
#define PM1_CNT_SLP_TYP_MASK (7u << PM1_CNT_SLP_TYP_SHIFT)
#define PM1_CNT_SLP_EN (1u << 13)

#define FACS_WAKING_VECTOR 12
#define FACS_X_WAKING_VECTOR 24
#define FACS_VERSION 32

#define RTC_INDEX 0x70
#define RTC_DATA 0x71
#define RTC_ALARM_DONT_CARE 0xC0
#define RTC_REG_B_AIE (1u << 5)

extern const u8 s3_wake16[], s3_wake16_entry[], s3_wake16_probe[], s3_wake16_rec[], s3_wake16_gdt_desc[], s3_wake16_end[];
extern const u8 s3_wake32[];
extern u32 s3_wake32_cr0, s3_wake32_eflags, s3_wake32_entered;
extern struct { u16 limit; u64 base; } __attribute__((packed)) gdt_desc, s3_idtr;
void s3_resumed(void);

/* What the wake stub in low memory recorded: CS, IP, MSW, FLAGS, entered. */
struct wake16_rec { u16 cs, ip, msw, flags, entered; };

static u16 pm1a_evt, pm1a_cnt;
static u8 *facs;
static int slp_typ_s3 = -1;
static volatile u32 sleep_round;
static u32 canary[256];
static u32 cpus;
static volatile u32 ap_arrivals, ap_ticks;

static u32 rd32(const u8 *p) { return p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24; }
static int sig_is(const u8 *p, const char *s) { return !memcmp(p, s, 4); }
static volatile struct wake16_rec *wake16_rec(void) { return (volatile struct wake16_rec *)(u64)(WAKE16_BASE + (s3_wake16_rec - s3_wake16)); }
static u32 wake16_vector(void) { return WAKE16_BASE + (u32)(s3_wake16_entry - s3_wake16); }

static void rtc_write(u8 reg, u8 v) { outb(RTC_INDEX, reg); outb(RTC_DATA, v); }
static u8 rtc_read(u8 reg) { outb(RTC_INDEX, reg); return inb(RTC_DATA); }

static u32 canary_word(u32 i) { return 0x53330000u ^ (i * 0x9E3779B1u); }

/* An AP: counts for as long as it runs (a sleep stops it). */
static void ap_main(unsigned slot)
{
    (void)slot;
    __atomic_add_fetch(&ap_arrivals, 1, __ATOMIC_SEQ_CST);
    for (;;) {
        __atomic_add_fetch(&ap_ticks, 1, __ATOMIC_SEQ_CST);
        asm volatile("pause");
    }
}

/* Whether ap_ticks moves while the BSP spins a while (round-robin vCPUs give the APs their turns). */
static int aps_running(void)
{
    u32 before = ap_ticks;
    for (volatile u32 i = 0; i < 200000; i++) {}
    return ap_ticks != before;
}

/* INIT-SIPI-SIPI to every AP; returns whether all cpus-1 of them arrived. */
static int start_aps(void)
{
    u32 target = ap_arrivals + cpus - 1;
    apic_write(APIC_SVR, APIC_SVR_ENABLE | 0xFF);
    apic_send_ipi(0, ICR_ALL_EXCLUDING_SELF | ICR_ASSERT | ICR_INIT);
    apic_send_ipi(0, ICR_ALL_EXCLUDING_SELF | ICR_INIT | ICR_LEVEL);
    for (int i = 0; i < 2; i++)
        apic_send_ipi(0, ICR_ALL_EXCLUDING_SELF | ICR_STARTUP | AP_SIPI_VECTOR);
    for (u32 spins = 0; ap_arrivals < target && spins < 100000000u; spins++)
        asm volatile("pause");
    return ap_arrivals == target;
}

/* After a wake: the APs are off until started again, then they run. */
static void check_aps_after_wake(u32 round)
{
    if (cpus < 2)
        return;
    report(!aps_running(), "round %u: the %u APs stopped with the sleep", round, cpus - 1);
    int started = start_aps();
    report(started, "round %u: INIT-SIPI-SIPI starts the APs again (%u arrivals in all)", round, ap_arrivals);
    report(aps_running(), "round %u: the APs run again", round);
}

/* The FADT from the RSDT (RSDP in 0xE0000-0xFFFFF), the FACS and \_S3 from the DSDT. */
static int find_tables(void)
{
    const u8 *rsdp = 0;
    for (u64 a = 0xE0000; a < 0x100000; a += 16)
        if (!memcmp((const void *)a, "RSD PTR ", 8)) { rsdp = (const u8 *)a; break; }
    if (!report(rsdp != 0, "RSDP found"))
        return 0;
    const u8 *rsdt = (const u8 *)(u64)rd32(rsdp + 16), *fadt = 0;
    for (u32 i = 0; i < (rd32(rsdt + 4) - 36) / 4; i++) {
        const u8 *t = (const u8 *)(u64)rd32(rsdt + 36 + 4 * i);
        if (sig_is(t, "FACP")) fadt = t;
    }
    if (!report(fadt != 0, "FADT listed in the RSDT"))
        return 0;
    pm1a_evt = rd32(fadt + 56);
    pm1a_cnt = rd32(fadt + 64);
    facs = (u8 *)(u64)rd32(fadt + 36);
    report(sig_is(facs, "FACS") && facs[FACS_VERSION] >= 1, "FACS version %u (has X_Firmware_Waking_Vector)", facs[FACS_VERSION]);
    /* Name(\_S3, Package(){a, b, ...}) = 08 5C "_S3_" 12 len count elements... */
    const u8 *dsdt = (const u8 *)(u64)rd32(fadt + 40);
    for (u32 i = 36; i + 9 < rd32(dsdt + 4); i++) {
        if (!memcmp(dsdt + i, "_S3_", 4) && dsdt[i + 4] == 0x12) {
            const u8 *el = dsdt + i + 7; /* after PackageOp, one-byte PkgLength, NumElements */
            slp_typ_s3 = el[0] == 0x0A ? el[1] : el[0] == 0x01 ? 1 : el[0] == 0x00 ? 0 : -1;
            break;
        }
    }
    return report(slp_typ_s3 >= 0 && slp_typ_s3 < 8, "\\_S3 package: SLP_TYPa = %d", slp_typ_s3);
}

/* The RTC alarm with every field "don't care": AF comes at the next update (within a second). */
static void rtc_alarm_every_second(void)
{
    rtc_write(0x01, RTC_ALARM_DONT_CARE);
    rtc_write(0x03, RTC_ALARM_DONT_CARE);
    rtc_write(0x05, RTC_ALARM_DONT_CARE);
    rtc_write(0x0B, rtc_read(0x0B) | RTC_REG_B_AIE);
    (void)rtc_read(0x0C); /* clears AF: the next alarm is a new event */
}

/* The OS's sleep sequence: clear the wake status, SLP_TYP, then SLP_TYP | SLP_EN. Does not return. */
static void __attribute__((noreturn)) sleep_s3(u32 round)
{
    sleep_round = round;
    asm volatile("cli; wbinvd" ::: "memory");
    outw(pm1a_evt, PM1_STS_WAK | PM1_STS_RTC);
    report(!(inw(pm1a_evt) & (PM1_STS_WAK | PM1_STS_RTC)), "round %u: WAK_STS and RTC_STS clear before sleeping", round);
    u16 cnt = (inw(pm1a_cnt) & ~PM1_CNT_SLP_TYP_MASK) | slp_typ_s3 << PM1_CNT_SLP_TYP_SHIFT;
    outw(pm1a_cnt, cnt);
    report(((inw(pm1a_cnt) & PM1_CNT_SLP_TYP_MASK) >> PM1_CNT_SLP_TYP_SHIFT) == (u32)slp_typ_s3, "round %u: SLP_TYP reads back", round);
    printf("S3-SLEEP %u\n", round);
    outw(pm1a_cnt, cnt | PM1_CNT_SLP_EN);
    printf("FAIL: round %u: still running after SLP_EN\n", round);
    guest_exit(1);
}

/* What every wake must show: WAK_STS (write 1 clears it), RAM kept, a CPU and local APIC from power-on. */
static void check_wake_common(u32 round)
{
    u16 sts = inw(pm1a_evt);
    report(sts & PM1_STS_WAK, "round %u: WAK_STS set after the wake (PM1_STS 0x%x)", round, sts);
    outw(pm1a_evt, PM1_STS_WAK);
    report(!(inw(pm1a_evt) & PM1_STS_WAK), "round %u: writing 1 clears WAK_STS", round);
    report(!(inw(pm1a_cnt) & PM1_CNT_SLP_EN) && (inw(pm1a_cnt) & PM1_CNT_SCI_EN), "round %u: SLP_EN reads 0, SCI_EN still 1", round);
    u32 bad = 0;
    for (u32 i = 0; i < 256; i++) bad += canary[i] != canary_word(i);
    report(bad == 0, "round %u: RAM kept its contents (%u words differ)", round, bad);
    report(apic_read(APIC_TPR) == 0 && apic_read(APIC_LDR) == 0 && (apic_read(APIC_LVT_TIMER) & APIC_LVT_MASKED) && apic_read(APIC_TIMER_INITIAL) == 0,
           "round %u: local APIC registers back at power-on (TPR 0x%x, LDR 0x%x, LVT timer 0x%x, initial count %u)", round,
           apic_read(APIC_TPR), apic_read(APIC_LDR), apic_read(APIC_LVT_TIMER), apic_read(APIC_TIMER_INITIAL));
    report(rdmsr(MSR_APIC_BASE) == (APIC_MMIO_BASE | APIC_BASE_EN | APIC_BASE_BSP), "round %u: APIC base MSR 0x%lx", round, rdmsr(MSR_APIC_BASE));
    report(!(read_rflags() & (1u << 9)), "round %u: interrupts still off", round);
}

void s3_resumed(void)
{
    u32 round = sleep_round;
    printf("INFO: resumed from round %u\n", round);
    check_wake_common(round);
    check_aps_after_wake(round);
    if (round == 1) {
        volatile struct wake16_rec *r = wake16_rec();
        u32 v = wake16_vector();
        report(r->entered == 1, "round 1: entered the real-mode waking vector 0x%x", v);
        report(r->cs == v >> 4, "round 1: CS = vector >> 4 (0x%x)", r->cs);
        report(r->ip == (v & 0xF) + (u32)(s3_wake16_probe - s3_wake16_entry), "round 1: IP = vector & 0xF (probe at 0x%x)", r->ip);
        report(!(r->msw & 1), "round 1: real mode (MSW 0x%x)", r->msw);
        report(!(r->flags & (1u << 9)), "round 1: IF clear at the vector (FLAGS 0x%x)", r->flags);
        report(!s3_wake32_entered, "round 1: the 32-bit vector was not used");
        report(inw(pm1a_evt) & PM1_STS_RTC, "round 1: RTC_STS set: the RTC alarm woke the machine");

        /* Round 2: the 32-bit vector wins over the real-mode one; the alarm may not wake. */
        r->entered = 0;
        outw(pm1a_evt + 2, inw(pm1a_evt + 2) & ~PM1_EN_RTC);
        rtc_alarm_every_second();
        *(volatile u64 *)(facs + FACS_X_WAKING_VECTOR) = (u64)s3_wake32;
        sleep_s3(2);
    }
    if (round == 2) {
        report(s3_wake32_entered == 1, "round 2: entered the 32-bit waking vector 0x%lx", (u64)s3_wake32);
        report((s3_wake32_cr0 & 1) && !(s3_wake32_cr0 & (1u << 31)), "round 2: protected mode, paging off (CR0 0x%x)", s3_wake32_cr0);
        report(!(s3_wake32_eflags & (1u << 9)), "round 2: IF clear at the vector (EFLAGS 0x%x)", s3_wake32_eflags);
        report(!wake16_rec()->entered, "round 2: the real-mode vector was not used");
        report(inw(pm1a_evt) & PM1_STS_RTC, "round 2: RTC_STS set by the alarm while asleep, which did not wake (RTC_EN clear)");
    }
    guest_exit(report_summary() ? 1 : 0);
}

int main(void)
{
    if (!find_tables())
        return 1;
    u16 cnt = inw(pm1a_cnt);
    report(cnt & PM1_CNT_SCI_EN, "SCI_EN: ACPI mode (PM1a_CNT 0x%x)", cnt);

    /* The real-mode wake stub below 1 MiB, with the runtime GDT's descriptor. */
    u8 *stub = (u8 *)(u64)WAKE16_BASE;
    memcpy(stub, s3_wake16, (u64)(s3_wake16_end - s3_wake16));
    u8 *desc = stub + (s3_wake16_gdt_desc - s3_wake16);
    memcpy(desc, &gdt_desc.limit, 2);
    u32 gdt32 = (u32)gdt_desc.base;
    memcpy(desc + 2, &gdt32, 4);
    asm volatile("sidt %0" : "=m"(s3_idtr));
    for (u32 i = 0; i < 256; i++) canary[i] = canary_word(i);

    cpus = cmdline_u64("cpus", 1);
    if (cpus > 1) {
        ap_boot_prepare(ap_main);
        report(start_aps() && aps_running(), "%u APs started and running before the first sleep", cpus - 1);
    }

    /* Local APIC state the sleep must take away (interrupts stay off: the timer never reaches the CPU). */
    apic_write(APIC_TPR, 0x20);
    apic_write(APIC_LDR, 1u << 24);
    apic_write(APIC_LVT_TIMER, 0x40 | APIC_TIMER_PERIODIC);
    apic_write(APIC_TIMER_DIVIDE, 0xB);
    apic_write(APIC_TIMER_INITIAL, 1000000);
    report(apic_read(APIC_TPR) == 0x20 && apic_read(APIC_TIMER_INITIAL) == 1000000, "local APIC programmed before sleeping (TPR, LDR, periodic timer)");

    /* Round 1: real-mode vector, RTC alarm as the wake event. */
    *(volatile u32 *)(facs + FACS_WAKING_VECTOR) = wake16_vector();
    *(volatile u64 *)(facs + FACS_X_WAKING_VECTOR) = 0;
    rtc_alarm_every_second();
    outw(pm1a_evt + 2, inw(pm1a_evt + 2) | PM1_EN_RTC);
    sleep_s3(1);
}
