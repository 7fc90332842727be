// expect: 2:36: negative shift count -1
rule r { condition: (filesize >> -1) > 0 }
