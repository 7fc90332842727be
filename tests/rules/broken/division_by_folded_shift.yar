// expect: 2:49: division by zero
rule r { condition: filesize % (filesize >> 64) == 0 }
