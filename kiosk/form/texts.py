"""The form's fixed Chinese texts: declaration, integrity pledge, review box, notes."""

SUBTITLE = "（考生本人及监护人核对无误后签字，交学校或报名点存档备查）"

DECLARATION = ("本人已认真核对本表所列信息，确认以上信息真实、准确、完整，与本人身份证件、户口簿及学籍信息一致。"
               "考生信息一经签字确认，任何人不得擅自更改。如有虚假，本人及监护人自愿承担由此产生的一切后果。")

PLEDGE = ("诚信承诺：本人自觉遵守国家和河南省初中学业水平考试报名及考试的有关规定，如实提供本人信息和报考资格材料，"
          "不弄虚作假、不冒名顶替；严格遵守考试纪律，诚信应考。如有违反，自愿接受有关部门依规作出的处理。")

CANDIDATE_SIGN = "考生签字："
GUARDIAN_SIGN = "监护人签字："
DATE_BLANK = "日期：　　　　年　　月　　日"

REVIEW = "审核意见："
REVIEWER = "审核人签字：　　　　　　　学校/报名点（盖章）　　　　　　　年　　月　　日"

QR_CAPTION = "扫码核验"
NO_PHOTO = "照片<br/>（未采集）"
NONE = "无"
PHONE_CONFIRMED = "（已验证）"
