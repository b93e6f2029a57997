#pragma once
/// Validation of payout destinations: IBANs, BICs and UPI virtual payment addresses.

#include <optional>
#include <string>
#include <string_view>

#include "domain/fwd.hpp"

namespace payorch {

/// True for a valid IBAN in electronic form ("DE89370400440532013000") or in print form
/// with one space after every group of four ("DE89 3704 0044 0532 0130 00").
///
/// Checks: upper-case letters and digits only, a country of the SWIFT IBAN registry with
/// its exact length, two check digits, and ISO 7064 mod 97 == 1. Lower case, other
/// separators and spaces anywhere else are rejected rather than repaired.
bool is_valid_iban(std::string_view text) noexcept;

/// `text` with every space removed (print form to electronic form); validates nothing.
std::string normalize_iban(std::string_view text);

/// The IBAN length the SWIFT registry sets for an alpha-2 country, or nullopt when the
/// country issues no IBANs.
std::optional<int> iban_length(std::string_view country) noexcept;

/// True for an 8- or 11-character upper-case BIC: 4 letters (bank), an ISO 3166 alpha-2
/// country (or XK, which SWIFT uses for Kosovo), 2 letters/digits (location) and an
/// optional 3 letters/digits (branch).
bool is_valid_bic(std::string_view text) noexcept;

/// True for an officially assigned ISO 3166-1 alpha-2 code (upper case), e.g. "DE".
bool is_iso3166_alpha2(std::string_view code) noexcept;

/// True for a UPI virtual payment address "handle@psp": exactly one '@', a handle of
/// 2..256 characters from [A-Za-z0-9._-] and a PSP of 2..64 letters or digits.
bool is_valid_upi_vpa(std::string_view text) noexcept;

}  // namespace payorch
