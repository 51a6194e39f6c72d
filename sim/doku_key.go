package sim

// simDOKUKey is the simulated shop's Kirim DOKU merchant key: a 1024-bit
// RSA test key made for the simulator, so that signing each access-token
// request (TokenSignature, the real adapter code) costs a fifth of the
// sandbox's 2048-bit demo key. It signs nothing outside the simulator.
const simDOKUKey = `
-----BEGIN RSA PRIVATE KEY-----
MIICXAIBAAKBgQC3k8T3cg6AbPdDHSHzz1h51XpORmkOB3AVc3sHN3jAmZBpfBU5
uvlhq7UDQ//ypzhsteirRhAXU7A3SulQ0cHzAyAXrKYPiHu7RJOz+1qPwABxvetV
jzgXRuRsSkbtdjdrvNP5jW2oni7BOpb6XwssGV0rSAqVif7Cmg1IAubdGQIDAQAB
AoGBAJkvXnnZHA7AXqgLREytpbeskq2EhZ9mR3ou7ed8u2+D9QSAvTl6MyT0YkzC
Tm6OaUAVn3xkL4M3m2DYSs7c6chRfPF8/INuehwC5J0FwaTht/QXFRc8nIfkyRCH
GKcc6x5RF5t6mNOwlilajmE2flDDSsvVo1Uujw+xGD4S7NXNAkEA85/v2UEUN2fZ
KmKGjV55NCE6jickmuutM3Fxfj/0YEqyPklwgxGeqgHDPsOOLCWza6zVMdlL47Sz
buHcQWoizwJBAMDm+4v4CzuX2lh3uSuvyCFQm9wo2DbmGGbfbCyu+tHXKEJwlISN
E+BA2ZkhBhRPzHRuPMJq0MzzN6fNQ0R3m5cCQEpQVCJqNpd8BwNl0HNZCRG8vRbV
m9Xh5BBYH22KZqnkvyA+2KIygrqLFRqVHk4bJfLHYrT0+rA307AUF1Kg5IMCQHyV
8grBZcfUWIHguShc/F1/6Vn0y0gRrdrrG7t0O6xBUNAwU8uULi0c1SzQJlQCAeOE
uxs5z6c+wkhPCs3yjfsCQFjtz1qDBYjlQ/FRAqT7lkn6naoT6ebF5vfS3sUEZRbk
guEB4k8FE1Nje7ECuzatHw7DXjHqO11i1VoVG/xvHwc=
-----END RSA PRIVATE KEY-----
`
