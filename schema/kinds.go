package schema

// The record kinds of common schema v1 that civil-status data sharing uses.
func init() {
	define(&Kind{
		Name:  "person",
		Label: "Công dân",
		Key:   []string{"id_number"},
		Fields: []Field{
			{Name: "id_number", Label: "Số định danh cá nhân", Type: IDNumber, Required: true, Doc: "12-digit personal identification number"},
			{Name: "full_name", Label: "Họ, chữ đệm và tên", Type: Text, Required: true, Doc: "full name, NFC"},
			{Name: "date_of_birth", Label: "Ngày, tháng, năm sinh", Type: Date, Required: true, Doc: "date of birth"},
			{Name: "sex", Label: "Giới tính", Type: Enum, Values: []string{"M", "F"}, Required: true, Doc: "M (Nam) or F (Nữ)"},
			{Name: "place_of_birth", Label: "Nơi sinh", Type: Text, Doc: "place of birth"},
			{Name: "native_place", Label: "Quê quán", Type: Text, Doc: "native place (ancestral home)"},
			{Name: "ethnicity", Label: "Dân tộc", Type: Text, Doc: "ethnic group, e.g. Kinh"},
			{Name: "nationality", Label: "Quốc tịch", Type: Text, Doc: "nationality, e.g. Việt Nam"},
		},
	})
	define(&Kind{
		Name:  "birth_registration",
		Label: "Đăng ký khai sinh",
		Key:   []string{"registering_agency", "certificate_number"},
		Fields: []Field{
			{Name: "certificate_number", Label: "Số đăng ký khai sinh", Type: Text, Required: true, Doc: "number of the birth certificate in the agency's register"},
			{Name: "registering_agency", Label: "Cơ quan đăng ký", Type: Text, Required: true, Doc: "agency that registered the birth, e.g. UBND xã Thạch Hà"},
			{Name: "registration_date", Label: "Ngày đăng ký", Type: Date, Required: true, Doc: "date the birth was registered"},
			{Name: "full_name", Label: "Họ, chữ đệm và tên", Type: Text, Required: true, Doc: "child's full name"},
			{Name: "date_of_birth", Label: "Ngày, tháng, năm sinh", Type: Date, Required: true, Doc: "child's date of birth"},
			{Name: "sex", Label: "Giới tính", Type: Enum, Values: []string{"M", "F"}, Required: true, Doc: "M (Nam) or F (Nữ)"},
			{Name: "id_number", Label: "Số định danh cá nhân", Type: IDNumber, Doc: "child's personal ID number, when issued"},
			{Name: "place_of_birth", Label: "Nơi sinh", Type: Text, Doc: "child's place of birth"},
			{Name: "native_place", Label: "Quê quán", Type: Text, Doc: "child's native place"},
			{Name: "ethnicity", Label: "Dân tộc", Type: Text, Doc: "child's ethnic group"},
			{Name: "nationality", Label: "Quốc tịch", Type: Text, Doc: "child's nationality"},
			{Name: "mother_full_name", Label: "Họ và tên mẹ", Type: Text, Doc: "mother's full name"},
			{Name: "mother_id_number", Label: "Số định danh của mẹ", Type: IDNumber, Doc: "mother's personal ID number"},
			{Name: "father_full_name", Label: "Họ và tên cha", Type: Text, Doc: "father's full name"},
			{Name: "father_id_number", Label: "Số định danh của cha", Type: IDNumber, Doc: "father's personal ID number"},
		},
	})
}
