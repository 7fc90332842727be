// expect: 2:30: division by zero
rule r { condition: filesize % (filesize >> 64) == 0 }
