package com.mp3converter.auth;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.mp3converter.common.http.ProblemException;
import com.mp3converter.common.testing.Fuzzing;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

/**
 * The fields of a sign-up's JSON body as anyone may send them, before any account exists (seeds in
 * SignupFieldsFuzzTestInputs): an e-mail address and a password are taken, or refused with a 400 in words; what is
 * taken is within the documented bounds.
 */
class SignupFieldsFuzzTest {
    @FuzzTest
    void anyEmailAndPasswordAreTakenOrA400InWords(FuzzedDataProvider data) {
        String email = data.consumeString(300);
        String password = data.consumeRemainingAsString();
        try {
            String taken = EmailAddress.validate(email);
            assertThat(taken, taken.length() <= 254 && taken.equals(email.trim()) && taken.indexOf('@') > 0
                    && taken.indexOf('@') <= 64, is(true));
            assertThat("normalising is idempotent", EmailAddress.normalize(EmailAddress.normalize(taken)),
                    is(EmailAddress.normalize(taken)));
            PasswordPolicy.check(password, taken);
            assertThat(password.codePointCount(0, password.length()) >= PasswordPolicy.MIN_LENGTH
                    && password.length() <= PasswordPolicy.MAX_LENGTH, is(true));
        } catch (ProblemException refused) {
            Fuzzing.assertRefusal(refused.problem().status(), refused.problem().detail());
        }
    }
}
