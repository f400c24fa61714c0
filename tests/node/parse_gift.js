// Parse GIFT from standard input with gift-pegjs and print the questions as JSON (exit 1 on a syntax error).
const { parse } = require("gift-pegjs");

let text = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (text += chunk));
process.stdin.on("end", () => {
  try {
    process.stdout.write(JSON.stringify(parse(text)));
  } catch (error) {
    process.stderr.write(`${error.name}: ${error.message} at ${JSON.stringify(error.location)}\n`);
    process.exit(1);
  }
});
