/* A small printf: %d %i %u %x %X %o %c %s %p %%, l/ll/z modifiers, '-' and
 * '0' flags and field widths. Output goes to a sink (serial or a buffer). */
#include "guest.h"

struct sink {
    char *buf;      /* NULL: serial */
    size_t size, len;
};

static void put(struct sink *s, char c)
{
    if (!s->buf) {
        if (c == '\n')
            serial_putc('\r');
        serial_putc(c);
    } else if (s->len + 1 < s->size) {
        s->buf[s->len] = c;
    }
    s->len++;
}

static void put_padded(struct sink *s, const char *str, size_t n, int width, int left, char pad)
{
    int fill = width > (int)n ? width - (int)n : 0;
    if (!left && pad == '0' && n && (str[0] == '-')) {
        put(s, '-');       /* sign goes before zero padding */
        str++, n--;
    }
    if (!left)
        while (fill-- > 0)
            put(s, pad);
    while (n--)
        put(s, *str++);
    if (left)
        while (fill-- > 0)
            put(s, ' ');
}

static int format(struct sink *s, const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            put(s, *fmt);
            continue;
        }
        fmt++;
        int left = 0;
        char pad = ' ';
        for (;; fmt++) {
            if (*fmt == '-')
                left = 1;
            else if (*fmt == '0')
                pad = '0';
            else
                break;
        }
        int width = 0;
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        int lng = 0;
        while (*fmt == 'l' || *fmt == 'z') {
            lng = 1;
            fmt++;
        }
        char tmp[24];
        char *end = tmp + sizeof(tmp), *p = end;
        u64 v;
        unsigned base = 10;
        int neg = 0, upper = 0;
        switch (*fmt) {
        case 'c':
            tmp[0] = (char)va_arg(ap, int);
            put_padded(s, tmp, 1, width, left, ' ');
            continue;
        case 's': {
            const char *str = va_arg(ap, const char *);
            if (!str)
                str = "(null)";
            put_padded(s, str, strlen(str), width, left, ' ');
            continue;
        }
        case '%':
            put(s, '%');
            continue;
        case 'd':
        case 'i': {
            s64 sv = lng ? va_arg(ap, s64) : va_arg(ap, int);
            neg = sv < 0;
            v = neg ? -(u64)sv : (u64)sv;
            break;
        }
        case 'u':
            v = lng ? va_arg(ap, u64) : va_arg(ap, unsigned);
            break;
        case 'X':
            upper = 1;
            /* fall through */
        case 'x':
            base = 16;
            v = lng ? va_arg(ap, u64) : va_arg(ap, unsigned);
            break;
        case 'o':
            base = 8;
            v = lng ? va_arg(ap, u64) : va_arg(ap, unsigned);
            break;
        case 'p':
            base = 16;
            v = (u64)va_arg(ap, void *);
            put(s, '0');
            put(s, 'x');
            if (!width) {
                width = 16;
                pad = '0';
            }
            break;
        default:
            put(s, '%');
            if (!*fmt)
                return (int)s->len;
            put(s, *fmt);
            continue;
        }
        const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
        do {
            *--p = digits[v % base];
            v /= base;
        } while (v);
        if (neg)
            *--p = '-';
        put_padded(s, p, (size_t)(end - p), width, left, pad);
    }
    return (int)s->len;
}

int vprintf(const char *fmt, va_list ap)
{
    struct sink s = { 0, 0, 0 };
    return format(&s, fmt, ap);
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    struct sink s = { buf, size, 0 };
    va_list ap;
    va_start(ap, fmt);
    format(&s, fmt, ap);
    va_end(ap);
    if (size)
        buf[s.len < size ? s.len : size - 1] = 0;
    return (int)s.len;
}
