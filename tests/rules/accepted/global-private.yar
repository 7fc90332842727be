global private rule g { condition: true }
private global rule h { condition: g }
rule a { condition: g and h }
