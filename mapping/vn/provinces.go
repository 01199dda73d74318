package vn

// provinces are the 63 province codes of Circular 07/2016/TT-BCA, Appendix I
// (the codes of Decision 124/2004/QĐ-TTg), which open every 12-digit personal
// ID number with the province where the birth was registered. The 2025
// merger into 34 provinces did not renumber issued IDs, so this table stays
// as published. Names are written as in the circular (Hòa, Khánh Hòa, Thừa
// Thiên Huế), without the "Tỉnh"/"Thành phố" prefix.
var provinces = [100]string{
	1:  "Hà Nội",
	2:  "Hà Giang",
	4:  "Cao Bằng",
	6:  "Bắc Kạn",
	8:  "Tuyên Quang",
	10: "Lào Cai",
	11: "Điện Biên",
	12: "Lai Châu",
	14: "Sơn La",
	15: "Yên Bái",
	17: "Hòa Bình",
	19: "Thái Nguyên",
	20: "Lạng Sơn",
	22: "Quảng Ninh",
	24: "Bắc Giang",
	25: "Phú Thọ",
	26: "Vĩnh Phúc",
	27: "Bắc Ninh",
	30: "Hải Dương",
	31: "Hải Phòng",
	33: "Hưng Yên",
	34: "Thái Bình",
	35: "Hà Nam",
	36: "Nam Định",
	37: "Ninh Bình",
	38: "Thanh Hóa",
	40: "Nghệ An",
	42: "Hà Tĩnh",
	44: "Quảng Bình",
	45: "Quảng Trị",
	46: "Thừa Thiên Huế",
	48: "Đà Nẵng",
	49: "Quảng Nam",
	51: "Quảng Ngãi",
	52: "Bình Định",
	54: "Phú Yên",
	56: "Khánh Hòa",
	58: "Ninh Thuận",
	60: "Bình Thuận",
	62: "Kon Tum",
	64: "Gia Lai",
	66: "Đắk Lắk",
	67: "Đắk Nông",
	68: "Lâm Đồng",
	70: "Bình Phước",
	72: "Tây Ninh",
	74: "Bình Dương",
	75: "Đồng Nai",
	77: "Bà Rịa - Vũng Tàu",
	79: "Hồ Chí Minh",
	80: "Long An",
	82: "Tiền Giang",
	83: "Bến Tre",
	84: "Trà Vinh",
	86: "Vĩnh Long",
	87: "Đồng Tháp",
	89: "An Giang",
	91: "Kiên Giang",
	92: "Cần Thơ",
	93: "Hậu Giang",
	94: "Sóc Trăng",
	95: "Bạc Liêu",
	96: "Cà Mau",
}

// ProvinceName returns the name of a 3-digit province code of Circular
// 07/2016/TT-BCA ("042" → "Hà Tĩnh"), and false when the code is not one of
// the 63 published codes.
func ProvinceName(code string) (string, bool) {
	if len(code) != 3 || code[0] != '0' || !isDigit(code[1]) || !isDigit(code[2]) {
		return "", false
	}
	name := provinces[int(code[1]-'0')*10+int(code[2]-'0')]
	return name, name != ""
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
