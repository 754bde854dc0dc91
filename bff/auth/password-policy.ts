/**
 * At least as strict as Active Directory's default complexity rule, so every password the
 * portal accepts is also accepted by AD: 12+ characters, three of four character classes,
 * and not containing the username.
 */
export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;

export function passwordProblems(password: string, username: string): string[] {
  const problems: string[] = [];
  if (password.length < PASSWORD_MIN_LENGTH) problems.push(`密碼長度至少 ${PASSWORD_MIN_LENGTH} 個字元`);
  if (password.length > PASSWORD_MAX_LENGTH) problems.push(`密碼長度不可超過 ${PASSWORD_MAX_LENGTH} 個字元`);
  const classes = [/[A-Z]/, /[a-z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
  if (classes < 3) problems.push("密碼須包含大寫字母、小寫字母、數字、符號其中三種");
  if (username.length >= 3 && password.toLowerCase().includes(username.toLowerCase())) {
    problems.push("密碼不可包含帳號");
  }
  if (/[\u0000-\u001f\u007f]/.test(password)) problems.push("密碼不可包含控制字元");
  return problems;
}
