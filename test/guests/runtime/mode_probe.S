.code32
.text
.globl pre_long_mode_hook
pre_long_mode_hook: ret
