"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { type FormEvent, useState } from "react";
import { Button } from "@/components/ui/button";
import { Input, Label } from "@/components/ui/input";
import { Spinner } from "@/components/ui/spinner";
import { errorMessage } from "@/lib/errors";
import { useT } from "@/lib/i18n";
import { useTRPC } from "@/lib/trpc";
import { safeNextPath } from "../lib/next-path";

export function AuthForm({ mode }: { mode: "signin" | "signup" }) {
  const t = useT();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const next = safeNextPath(useSearchParams().get("next"));
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [displayName, setDisplayName] = useState("");
  const onSuccess = async () => {
    queryClient.clear();
    router.push(next);
  };
  // Errors show inline, next to the form, rather than as a toast.
  const register = useMutation(trpc.auth.register.mutationOptions({ onSuccess, meta: { silent: true } }));
  const login = useMutation(trpc.auth.login.mutationOptions({ onSuccess, meta: { silent: true } }));
  const pending = register.isPending || login.isPending;
  const error = register.error ?? login.error;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (mode === "signup") register.mutate({ email, password, displayName: displayName.trim() || undefined });
    else login.mutate({ email, password });
  };
  const other = mode === "signup" ? "/signin" : "/signup";

  return (
    <div className="mx-auto w-full max-w-sm">
      <h1 className="text-2xl font-semibold tracking-tight text-slate-900">{t(mode === "signup" ? "auth.signupTitle" : "auth.signinTitle")}</h1>
      <p className="mt-1 text-sm text-slate-500">{t(mode === "signup" ? "auth.signupLead" : "auth.signinLead")}</p>
      <form onSubmit={submit} className="mt-8 space-y-4" noValidate>
        {mode === "signup" && (
          <div>
            <Label htmlFor="displayName">{t("auth.displayName")}</Label>
            <Input id="displayName" autoComplete="nickname" value={displayName} onChange={(e) => setDisplayName(e.target.value)} />
          </div>
        )}
        <div>
          <Label htmlFor="email">{t("auth.email")}</Label>
          <Input id="email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </div>
        <div>
          <Label htmlFor="password">{t("auth.password")}</Label>
          <Input
            id="password"
            type="password"
            autoComplete={mode === "signup" ? "new-password" : "current-password"}
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
          {mode === "signup" && <p className="mt-1.5 text-xs text-slate-500">{t("auth.passwordHint")}</p>}
        </div>
        {error && (
          <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800 ring-1 ring-red-200">
            {errorMessage(error, t("error.network"))}
          </p>
        )}
        <Button type="submit" variant="primary" className="w-full" disabled={pending}>
          {pending && <Spinner />}
          {t(mode === "signup" ? "auth.signupSubmit" : "auth.signinSubmit")}
        </Button>
      </form>
      <p className="mt-6 text-center text-sm text-slate-500">
        {t(mode === "signup" ? "auth.haveAccount" : "auth.noAccount")}{" "}
        <Link href={`${other}?next=${encodeURIComponent(next)}`} className="font-medium text-indigo-600 hover:text-indigo-500">
          {t(mode === "signup" ? "auth.signinLink" : "auth.signupLink")}
        </Link>
      </p>
    </div>
  );
}
