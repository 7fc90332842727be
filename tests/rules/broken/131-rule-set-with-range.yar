// expect: 3:32: unexpected in
rule b { condition: true }
rule a { condition: any of (b) in (0..1) }
