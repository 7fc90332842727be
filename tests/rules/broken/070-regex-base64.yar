// expect: 2:30: expecting condition
rule a { strings: $a = /abc/ base64 condition: $a }
