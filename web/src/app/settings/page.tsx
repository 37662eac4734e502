import { AppShell } from "@/components/app-shell";
import { RequireUser } from "@/features/auth/components/require-user";
import { SettingsPage } from "@/features/settings/components/settings-page";

export default function Page() {
  return (
    <AppShell>
      <RequireUser>
        <SettingsPage />
      </RequireUser>
    </AppShell>
  );
}
