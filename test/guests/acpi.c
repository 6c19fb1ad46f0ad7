/*
 * acpi: the firmware tables as an OS finds them. Scans 0xE0000-0xFFFFF for
 * the RSDP, validates every checksum, walks the RSDT and XSDT, parses the
 * MADT (one LAPIC per CPU: cpus=N on the command line, the IOAPIC, the
 * overrides) and the FADT (PM blocks, SCI, reset register), reads the PM
 * timer, finds \_S5 in the DSDT and powers off through PM1a_CNT.
 * A pass ends in an ACPI power-off (not isa-debug-exit); failures exit 1.
 */
#include "guest.h"

static int sum_ok(const u8 *p, u32 len) { u8 s = 0; for (u32 i = 0; i < len; i++) s += p[i]; return s == 0; }
static u32 rd32(const u8 *p) { return p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24; }
static u64 rd64(const u8 *p) { return rd32(p) | (u64)rd32(p + 4) << 32; }
static int sig_is(const u8 *p, const char *s) { return p[0] == s[0] && p[1] == s[1] && p[2] == s[2] && p[3] == s[3]; }

static const u8 *check_table(u64 addr, const char *what)
{
    const u8 *t = (const u8 *)addr;
    u32 len = rd32(t + 4);
    report(len >= 36 && sum_ok(t, len), "%c%c%c%c at 0x%lx: length %u, checksum ok (%s)", t[0], t[1], t[2], t[3], addr, len, what);
    return t;
}

int main(void)
{
    const u8 *rsdp = 0;
    for (u64 a = 0xE0000; a < 0x100000; a += 16) {
        if (!memcmp((const void *)a, "RSD PTR ", 8)) { rsdp = (const u8 *)a; break; }
    }
    if (!report(rsdp != 0, "RSDP found at 0x%lx", (u64)rsdp))
        return 1;
    report(sum_ok(rsdp, 20), "RSDP v1 checksum");
    report(rsdp[15] == 2 && rd32(rsdp + 20) == 36 && sum_ok(rsdp, 36), "RSDP revision 2, extended checksum");

    const u8 *rsdt = check_table(rd32(rsdp + 16), "RSDT");
    const u8 *xsdt = check_table(rd64(rsdp + 24), "XSDT");
    report(sig_is(rsdt, "RSDT") && sig_is(xsdt, "XSDT"), "RSDT and XSDT signatures");
    u32 n = (rd32(rsdt + 4) - 36) / 4;
    report(n == (rd32(xsdt + 4) - 36) / 8, "RSDT and XSDT list the same number of tables (%u)", n);
    const u8 *fadt = 0, *madt = 0;
    for (u32 i = 0; i < n; i++) {
        u64 a = rd32(rsdt + 36 + 4 * i);
        report(a == rd64(xsdt + 36 + 8 * i), "entry %u is the same in both", i);
        const u8 *t = check_table(a, "listed");
        if (sig_is(t, "FACP")) fadt = t;
        if (sig_is(t, "APIC")) madt = t;
    }
    if (!report(fadt && madt, "FADT and MADT listed"))
        return 1;

    /* MADT */
    u32 cpus = cmdline_u64("cpus", 1), lapics = 0, ioapics = 0, pit_override = 0, sci_level = 0;
    report(rd32(madt + 36) == 0xFEE00000u, "local APIC address 0xFEE00000");
    report(rd32(madt + 40) & 1, "PCAT_COMPAT (8259s present)");
    for (u32 off = 44; off < rd32(madt + 4); off += madt[off + 1]) {
        const u8 *e = madt + off;
        if (e[0] == 0) { lapics++; report(e[3] == lapics - 1 && (rd32(e + 4) & 1), "LAPIC entry: processor %u, APIC ID %u, enabled", e[2], e[3]); }
        if (e[0] == 1) { ioapics++; report(rd32(e + 4) == 0xFEC00000u && rd32(e + 8) == 0, "IOAPIC at 0xFEC00000, GSI base 0"); }
        if (e[0] == 2 && e[3] == 0) pit_override = rd32(e + 4) == 2;
        if (e[0] == 2 && e[3] == 9) sci_level = rd32(e + 4) == 9 && (e[8] & 0xF) == 0xD;
    }
    report(lapics == cpus, "%u LAPIC entries for %u CPUs", lapics, cpus);
    report(ioapics == 1, "one IOAPIC");
    report(pit_override, "override: IRQ 0 -> GSI 2");
    report(sci_level, "override: IRQ 9 level, active high");

    /* FADT */
    report(rd32(fadt + 4) >= 244 && fadt[8] >= 3, "FADT revision %u, length %u", fadt[8], rd32(fadt + 4));
    u16 sci = fadt[46] | fadt[47] << 8;
    u32 pm1a_evt = rd32(fadt + 56), pm1a_cnt = rd32(fadt + 64), pm_tmr = rd32(fadt + 76);
    report(sci == 9, "SCI on IRQ %u", sci);
    report(pm1a_evt && pm1a_cnt && pm_tmr && fadt[88] == 4 && fadt[89] == 2 && fadt[91] == 4, "PM1a event 0x%x, control 0x%x, timer 0x%x", pm1a_evt, pm1a_cnt, pm_tmr);
    report((rd32(fadt + 112) & (1 << 10)) && fadt[116] == 1 && rd64(fadt + 120) == 0xCF9 && fadt[128] == 6, "reset register: I/O 0xCF9, value 6");
    const u8 *dsdt = check_table(rd64(fadt + 140) ? rd64(fadt + 140) : rd32(fadt + 40), "DSDT");
    report(sig_is(dsdt, "DSDT"), "DSDT signature");
    const u8 *facs = (const u8 *)(u64)rd32(fadt + 36);
    report(sig_is(facs, "FACS") && rd32(facs + 4) == 64 && ((u64)facs & 63) == 0, "FACS: signature, 64 bytes, 64-byte aligned");
    report(inw(pm1a_cnt) & 1, "SCI_EN: the machine is in ACPI mode");

    u32 t0 = inl(pm_tmr) & 0xFFFFFF;
    for (volatile int i = 0; i < 20000; i++) {}
    u32 t1 = inl(pm_tmr) & 0xFFFFFF;
    report(t1 != t0, "PM timer runs (0x%x -> 0x%x)", t0, t1);

    /* \_S5: Name(\_S5, Package(){a, b, ...}) = 08 5C "_S5_" 12 len count elem... */
    int slp_typ = -1;
    u32 dlen = rd32(dsdt + 4);
    for (u32 i = 36; i + 9 < dlen; i++) {
        if (!memcmp(dsdt + i, "_S5_", 4) && dsdt[i + 4] == 0x12) {
            const u8 *el = dsdt + i + 7; /* after PackageOp, one-byte PkgLength, NumElements */
            slp_typ = el[0] == 0x0A ? el[1] : el[0] == 0x01 ? 1 : el[0] == 0x00 ? 0 : -1;
            break;
        }
    }
    report(slp_typ >= 0 && slp_typ < 8, "\\_S5 package: SLP_TYPa = %d", slp_typ);
    if (report_summary())
        return 1;
    printf("powering off through PM1a_CNT\n");
    outw(pm1a_cnt, (slp_typ << 10) | (1 << 13));
    printf("FAIL: still running after the S5 write\n");
    return 1;
}
