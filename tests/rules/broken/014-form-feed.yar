// expect: 2:9: unexpected byte 0x0c
rule a { condition: true }
