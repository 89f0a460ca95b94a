//! The `calculate` tool's evaluator: plain arithmetic with Python's rules and the Python agent's
//! limits (`agentcore_agent/tools.py`), so both agents give a model the same result text.
//!
//! Grammar (Python's precedence): `+ -` < `* / // %` < unary `+ -` < `**` (right-associative, and
//! binding tighter than a unary minus on its left: `-2 ** 2` is `-4`). Integers are exact
//! (`num-bigint`), `/` is true division, a float anywhere makes the result a float, and floats print
//! as Python's `repr` does. No names, calls or attributes exist in the grammar, so a prompt cannot
//! make it run anything; sizes are capped so `9 ** 9 ** 9` cannot pin a CPU.

use num_bigint::BigInt;
use num_traits::{Signed, ToPrimitive, Zero};

pub const MAX_EXPRESSION_CHARS: usize = 200;
const MAX_EXPONENT: u32 = 1000;

#[derive(Debug, Clone, PartialEq)]
pub enum Number {
    Int(BigInt),
    Float(f64),
}

/// Evaluate `expression`; the error is the sentence the model sees after "Error: ".
pub fn evaluate(expression: &str) -> Result<Number, String> {
    if expression.chars().count() > MAX_EXPRESSION_CHARS {
        return Err(format!(
            "expression longer than {MAX_EXPRESSION_CHARS} characters"
        ));
    }
    let tokens = tokenize(expression.trim())?;
    // Anything else (a name, a dot, a quote, a bracket) would be a name, call, attribute or
    // container in Python: refused as such, whatever the rest looks like.
    if tokens.contains(&Token::Other) {
        return Err(ONLY_ARITHMETIC.into());
    }
    let mut parser = Parser { tokens, at: 0 };
    let value = parser.sum()?;
    if parser.at != parser.tokens.len() {
        return Err(INVALID.into());
    }
    Ok(value)
}

const INVALID: &str = "not a valid arithmetic expression";

const ONLY_ARITHMETIC: &str = "only numbers and + - * / // % ** with parentheses are allowed";

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Num(Number),
    Op(&'static str),
    Open,
    Close,
    Other,
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || chars[i] == '.' || chars[i] == '_')
            {
                let exponent_sign =
                    matches!(chars[i], 'e' | 'E') && matches!(chars.get(i + 1), Some('+' | '-'));
                i += if exponent_sign { 2 } else { 1 };
            }
            let literal: String = chars[start..i].iter().collect();
            tokens.push(Token::Num(number(&literal)?));
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let (token, width) = match (two.as_str(), c) {
                ("**", _) => (Token::Op("**"), 2),
                ("//", _) => (Token::Op("//"), 2),
                (_, '+') => (Token::Op("+"), 1),
                (_, '-') => (Token::Op("-"), 1),
                (_, '*') => (Token::Op("*"), 1),
                (_, '/') => (Token::Op("/"), 1),
                (_, '%') => (Token::Op("%"), 1),
                (_, '(') => (Token::Open, 1),
                (_, ')') => (Token::Close, 1),
                _ => (Token::Other, 1),
            };
            tokens.push(token);
            i += width;
        }
    }
    Ok(tokens)
}

/// A Python numeric literal: decimal integers and floats, `_` between digits.
fn number(literal: &str) -> Result<Number, String> {
    let invalid = || INVALID.to_string();
    if literal.starts_with('_') || literal.ends_with('_') || literal.contains("__") {
        return Err(invalid());
    }
    let plain = literal.replace('_', "");
    if plain.chars().all(|c| c.is_ascii_digit()) {
        if plain.len() > 1 && plain.starts_with('0') && plain.chars().any(|c| c != '0') {
            return Err(invalid()); // Python refuses leading zeros in decimal integers
        }
        return plain
            .parse::<BigInt>()
            .map(Number::Int)
            .map_err(|_| invalid());
    }
    plain
        .parse::<f64>()
        .map(Number::Float)
        .map_err(|_| invalid())
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

type Value = Result<Number, String>;

impl Parser {
    fn peek_op(&self, ops: &[&'static str]) -> Option<&'static str> {
        match self.tokens.get(self.at) {
            Some(Token::Op(op)) if ops.contains(op) => Some(op),
            _ => None,
        }
    }

    fn sum(&mut self) -> Value {
        let mut left = self.term()?;
        while let Some(op) = self.peek_op(&["+", "-"]) {
            self.at += 1;
            let right = self.term()?;
            left = binary(op, left, right)?;
        }
        Ok(left)
    }

    fn term(&mut self) -> Value {
        let mut left = self.unary()?;
        while let Some(op) = self.peek_op(&["*", "/", "//", "%"]) {
            self.at += 1;
            let right = self.unary()?;
            left = binary(op, left, right)?;
        }
        Ok(left)
    }

    fn unary(&mut self) -> Value {
        if let Some(op) = self.peek_op(&["+", "-"]) {
            self.at += 1;
            let operand = self.unary()?;
            return Ok(if op == "-" { negate(operand) } else { operand });
        }
        self.power()
    }

    fn power(&mut self) -> Value {
        let base = self.atom()?;
        if self.peek_op(&["**"]).is_some() {
            self.at += 1;
            let exponent = self.unary()?; // right-associative; `2 ** -1` is allowed
            return binary("**", base, exponent);
        }
        Ok(base)
    }

    fn atom(&mut self) -> Value {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        match token {
            Some(Token::Num(number)) => bounded(number),
            Some(Token::Open) => {
                let inner = self.sum()?;
                match self.tokens.get(self.at) {
                    Some(Token::Close) => {
                        self.at += 1;
                        Ok(inner)
                    }
                    _ => Err(INVALID.into()),
                }
            }
            _ => Err(INVALID.into()),
        }
    }
}

fn negate(number: Number) -> Number {
    match number {
        Number::Int(value) => Number::Int(-value),
        Number::Float(value) => Number::Float(-value),
    }
}

fn to_f64(number: &Number) -> Result<f64, String> {
    match number {
        Number::Int(value) => value
            .to_f64()
            .filter(|v| v.is_finite())
            .ok_or_else(|| "result too large".to_string()),
        Number::Float(value) => Ok(*value),
    }
}

fn binary(op: &str, left: Number, right: Number) -> Value {
    if op == "**" {
        let exponent_size = match &right {
            Number::Int(value) => value.abs().to_f64().unwrap_or(f64::INFINITY),
            Number::Float(value) => value.abs(),
        };
        if exponent_size > f64::from(MAX_EXPONENT) {
            return Err(format!("exponent larger than {MAX_EXPONENT}"));
        }
    }
    let result = match (&left, &right) {
        (Number::Int(a), Number::Int(b)) => int_op(op, a, b)?,
        _ => Number::Float(float_op(op, to_f64(&left)?, to_f64(&right)?)?),
    };
    bounded(result)
}

fn int_op(op: &str, a: &BigInt, b: &BigInt) -> Value {
    let zero_division = || Err("division by zero".to_string());
    Ok(match op {
        "+" => Number::Int(a + b),
        "-" => Number::Int(a - b),
        "*" => Number::Int(a * b),
        "/" => {
            if b.is_zero() {
                return zero_division();
            }
            Number::Float(to_f64(&Number::Int(a.clone()))? / to_f64(&Number::Int(b.clone()))?)
        }
        "//" | "%" => {
            if b.is_zero() {
                return zero_division();
            }
            // Python floors toward negative infinity; the remainder takes the divisor's sign.
            let (mut quotient, mut remainder) = (a / b, a % b);
            if !remainder.is_zero() && (remainder.is_negative() != b.is_negative()) {
                quotient -= 1;
                remainder += b;
            }
            Number::Int(if op == "//" { quotient } else { remainder })
        }
        "**" => {
            if b.is_negative() {
                if a.is_zero() {
                    return zero_division();
                }
                return float_op(
                    "**",
                    to_f64(&Number::Int(a.clone()))?,
                    to_f64(&Number::Int(b.clone()))?,
                )
                .map(Number::Float);
            }
            Number::Int(a.pow(b.to_u32().unwrap_or(MAX_EXPONENT)))
        }
        _ => unreachable!("the parser only produces known operators"),
    })
}

fn float_op(op: &str, a: f64, b: f64) -> Result<f64, String> {
    let zero_division = || Err("division by zero".to_string());
    match op {
        "+" => Ok(a + b),
        "-" => Ok(a - b),
        "*" => Ok(a * b),
        "/" if b == 0.0 => zero_division(),
        "/" => Ok(a / b),
        "//" | "%" if b == 0.0 => zero_division(),
        "//" => Ok((a / b).floor()),
        "%" => {
            let remainder = a % b;
            Ok(if remainder != 0.0 && (remainder < 0.0) != (b < 0.0) {
                remainder + b
            } else {
                remainder
            })
        }
        "**" => {
            if a == 0.0 && b < 0.0 {
                return zero_division();
            }
            if a < 0.0 && b.fract() != 0.0 {
                return Err("result too large or not a real number".into()); // complex in Python
            }
            let value = a.powf(b);
            if value.is_infinite() {
                Err("result too large".into())
            } else {
                Ok(value)
            }
        }
        _ => unreachable!("the parser only produces known operators"),
    }
}

fn bounded(number: Number) -> Value {
    let too_large = || Err("result too large or not a real number".to_string());
    match &number {
        Number::Int(value) if value.abs() > BigInt::from(10u8).pow(100) => too_large(),
        Number::Float(value) if !value.is_finite() || value.abs() > 1e100 => too_large(),
        _ => Ok(number),
    }
}

/// The result as Python's `str` prints it (`24.0`, `1e+16`, `0.1`, `-3`).
pub fn python_str(number: &Number) -> String {
    match number {
        Number::Int(value) => value.to_string(),
        Number::Float(value) => python_float_repr(*value),
    }
}

/// Python's float repr: the shortest round-trip digits, positional for exponents -4..16, else
/// scientific with a signed two-digit exponent.
pub fn python_float_repr(value: f64) -> String {
    if value.is_nan() {
        return "nan".into();
    }
    if value.is_infinite() {
        return if value > 0.0 { "inf" } else { "-inf" }.into();
    }
    if value == 0.0 {
        return if value.is_sign_negative() {
            "-0.0"
        } else {
            "0.0"
        }
        .into();
    }
    let scientific = format!("{value:e}"); // shortest round-trip digits, e.g. "-1.2345e17"
    let (mantissa, exponent) = scientific
        .split_once('e')
        .expect("LowerExp always writes an exponent");
    let exponent: i32 = exponent
        .parse()
        .expect("LowerExp writes an integer exponent");
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if negative { "-" } else { "" };
    if (-4..16).contains(&exponent) {
        let point = exponent + 1; // digits before the decimal point
        let body = if point <= 0 {
            format!("0.{}{}", "0".repeat((-point) as usize), digits)
        } else if (point as usize) >= digits.len() {
            format!("{}{}.0", digits, "0".repeat(point as usize - digits.len()))
        } else {
            format!(
                "{}.{}",
                &digits[..point as usize],
                &digits[point as usize..]
            )
        };
        format!("{sign}{body}")
    } else {
        let fraction = if digits.len() > 1 {
            format!(".{}", &digits[1..])
        } else {
            String::new()
        };
        let exponent_sign = if exponent < 0 { '-' } else { '+' };
        format!(
            "{sign}{}{fraction}e{exponent_sign}{:02}",
            &digits[..1],
            exponent.abs()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calc(expression: &str) -> String {
        match evaluate(expression) {
            Ok(number) => python_str(&number),
            Err(error) => format!("Error: {error}"),
        }
    }

    #[test]
    fn arithmetic_as_python_prints_it() {
        // Each expected text is what CPython 3.11 prints for str(eval(expression)).
        for (expression, expected) in [
            ("(17 + 4) * 2 ** 3 / 7", "24.0"),
            ("-2 ** 2", "-4"),
            ("2 ** -1", "0.5"),
            ("2 ** 3 ** 2", "512"),
            ("7 // -2", "-4"),
            ("-7 % 3", "2"),
            ("7.5 % -2", "-0.5"),
            ("1 / 3", "0.3333333333333333"),
            ("10 ** 16 * 1.0", "1e+16"),
            ("1.5e16 + 0", "1.5e+16"),
            ("0.0001 * 1", "0.0001"),
            ("0.00001 * 1", "1e-05"),
            ("1_000 + .5", "1000.5"),
            ("2 ** 100", "1267650600228229401496703205376"),
            ("0.1 + 0.2", "0.30000000000000004"),
        ] {
            assert_eq!(calc(expression), expected, "{expression}");
        }
    }

    #[test]
    fn refusals_name_the_rule() {
        assert!(calc("().__class__").contains("only numbers"));
        assert!(calc("__import__('os')").contains("only numbers"));
        assert!(calc("9 ** 9 ** 9").contains("exponent larger than 1000"));
        assert!(calc("1 / 0").contains("division by zero"));
        assert!(calc("10 ** 101").contains("too large"));
        assert!(calc("(-8) ** 0.5").contains("not a real number"));
        assert!(calc(&"1+".repeat(101)).contains("longer than 200"));
        assert!(calc("2 +").starts_with("Error: not a valid"));
    }
}
