rule a { condition: 0x10 == 16 and 0o20 == 16 and 1KB == 1024 and 2MB == 2097152 }
