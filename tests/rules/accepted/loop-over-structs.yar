import "pe"
rule a { condition: for any s in pe.sections : (s.name == ".text" and s.raw_data_size > 0) }
