/*
 * ESP-IDF calls the Moddable platform needs and the Moddable SDK does not wrap: app rollback
 * (CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE, set in platform/moddable/sdkconfig/sdkconfig.defaults),
 * boot partition selection, restart and the hardware random generator. Plain C functions with
 * integer signatures so XS FFI (manifest.json "ffi") can generate the glue; the signatures are
 * declared there and typed in platform/moddable/typings/runtime.d.ts.
 */
#include <stdint.h>
#include "esp_ota_ops.h"
#include "esp_partition.h"
#include "esp_system.h"
#include "esp_random.h"

static int32_t slotOf(const esp_partition_t *partition)
{
	if (!partition || partition->type != ESP_PARTITION_TYPE_APP)
		return -1;
	if (partition->subtype < ESP_PARTITION_SUBTYPE_APP_OTA_MIN || partition->subtype > ESP_PARTITION_SUBTYPE_APP_OTA_1)
		return -1;
	return (int32_t)(partition->subtype - ESP_PARTITION_SUBTYPE_APP_OTA_MIN);
}

int32_t mi_ota_running_slot(void)
{
	return slotOf(esp_ota_get_running_partition());
}

int32_t mi_ota_boot_slot(void)
{
	return slotOf(esp_ota_get_boot_partition());
}

int32_t mi_ota_running_state(void)
{
	esp_ota_img_states_t state;
	if (esp_ota_get_state_partition(esp_ota_get_running_partition(), &state) != ESP_OK)
		return -1;
	return (int32_t)state;
}

int32_t mi_ota_set_boot_slot(int32_t slot)
{
	if (slot < 0 || slot > 1)
		return ESP_ERR_INVALID_ARG;
	const esp_partition_t *partition = esp_partition_find_first(ESP_PARTITION_TYPE_APP,
		(esp_partition_subtype_t)(ESP_PARTITION_SUBTYPE_APP_OTA_MIN + slot), NULL);
	if (!partition)
		return ESP_ERR_NOT_FOUND;
	/* validates the image (header, hash) before selecting it */
	return esp_ota_set_boot_partition(partition);
}

int32_t mi_ota_mark_valid(void)
{
	return esp_ota_mark_app_valid_cancel_rollback();
}

int32_t mi_ota_rollback_and_reboot(void)
{
	return esp_ota_mark_app_invalid_rollback_and_reboot();
}

void mi_restart(void)
{
	esp_restart();
}

void mi_fill_random(uint8_t *buffer, uint32_t offset, uint32_t length)
{
	esp_fill_random(buffer + offset, length);
}
