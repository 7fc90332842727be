import "pe"
rule a { condition: for any k, v in pe.version_info : (k == "CompanyName" and v contains "x") }
