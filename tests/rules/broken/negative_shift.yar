// expect: 2:31: negative shift count -1
rule r { condition: (filesize >> -1) > 0 }
