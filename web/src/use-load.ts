// Loading state for one backend call: data, error text, loading flag and reload.

import { ref, type Ref } from 'vue';
import { errorText } from './session.ts';

export interface Loaded<T> {
  data: Ref<T | undefined>;
  error: Ref<string>;
  loading: Ref<boolean>;
  reload: () => Promise<void>;
}

export function useLoad<T>(load: () => Promise<T>): Loaded<T> {
  const data = ref<T>();
  const error = ref('');
  const loading = ref(false);
  let generation = 0;
  const reload = async (): Promise<void> => {
    const mine = ++generation;
    loading.value = true;
    error.value = '';
    try {
      const value = await load();
      if (mine === generation) data.value = value;
    } catch (e) {
      if (mine === generation) error.value = errorText(e);
    } finally {
      if (mine === generation) loading.value = false;
    }
  };
  return { data, error, loading, reload };
}
