/**
 * Passwords that top every breach list (SecLists, NCSC, Chinese leak top lists), limited to ones that
 * pass the 8-character minimum: shorter ones are refused by length already. Compared lowercased.
 */
const LIST = `
password password1 password12 password123 password! password1! passw0rd p@ssw0rd p@ssword passwort motdepasse
12345678 123456789 1234567890 12345678910 987654321 9876543210 0987654321 87654321 1234512345 123123123
11111111 00000000 22222222 55555555 66666666 77777777 88888888 99999999 12121212 11223344 12341234 112233445566
147258369 147852369 123654789 741852963 123456789a a123456789 1234567a aa123456 aa12345678 abc12345 abc123456
abcd1234 abcdefgh 1234qwer qwer1234 qwerty12 qwerty123 qwerty1234 qwerty12345 qwertyui qwertyuiop asdfghjk
asdfghjkl zxcvbnm1 1q2w3e4r 1q2w3e4r5t 1q2w3e4r5t6y q1w2e3r4 q1w2e3r4t5 1qaz2wsx 1qazxsw2 zaq12wsx qazwsxedc
qweasdzxc 123qweasd iloveyou iloveyou1 iloveyou2 lovelove sunshine sunshine1 princess princess1 football
football1 football123 baseball baseball1 baseball123 superman superman1 starwars starwars1 trustno1 whatever
whatever1 welcome1 welcome123 letmein1 letmein123 changeme changeme123 admin123 administrator monkey123
dragon123 shadow123 master123 michael1 charlie1 jordan23 jennifer michelle computer corvette mercedes maverick
midnight internet liverpool chelsea1 arsenal1 freedom1 hello123 hello1234 helloworld batman123 pokemon123
minecraft minecraft1 woaini1314 a5201314 qq123456 bienvenue
`;

export const COMMON_PASSWORDS: ReadonlySet<string> = new Set(LIST.split(/\s+/).filter(Boolean));
