// expect: 2:47: division by zero
rule r { condition: filesize % (filesize >> 64) == 0 }
